module gerbang/services/licensing

go 1.26.8

require gerbang/pkg v0.0.0

replace gerbang/pkg => ../../pkg
