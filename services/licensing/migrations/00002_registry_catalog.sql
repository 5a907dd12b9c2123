-- +goose Up
-- Business registry, the risk-based catalog (versioned, effective-dated) and
-- the holiday calendar of the SLA clock.

CREATE TABLE business (
    id            uuid        PRIMARY KEY,
    nib           text        NOT NULL CONSTRAINT business_nib_key UNIQUE CHECK (nib ~ '^[1-9][0-9]{12}$'),
    owner_subject text        NOT NULL,
    name          text        NOT NULL,
    npwp          text        NOT NULL CHECK (npwp ~ '^[0-9]{16}$'),
    address       text        NOT NULL,
    scale         text        NOT NULL CHECK (scale IN ('micro', 'small', 'medium', 'large')),
    kbli          text[]      NOT NULL,
    created_at    timestamptz NOT NULL,
    version       integer     NOT NULL DEFAULT 1
);
CREATE INDEX business_owner ON business (owner_subject, id);

-- One row per version of a license type; the version in force at a time is
-- the latest whose effective_from is not after it.
CREATE TABLE license_type (
    code            text        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    effective_from  timestamptz NOT NULL,
    name            text        NOT NULL,
    risk            text        NOT NULL CHECK (risk IN ('low', 'medium_low', 'medium_high', 'high')),
    requirements    jsonb       NOT NULL DEFAULT '[]',
    fee             bigint      NOT NULL CHECK (fee >= 0),
    sla_days        integer     NOT NULL CHECK (sla_days >= 0),
    validity_months integer     NOT NULL CHECK (validity_months >= 0),
    PRIMARY KEY (code, version),
    UNIQUE (code, effective_from)
);

-- One row per version of the risk rule of a KBLI code. bands: the risk
-- bands from lowest to highest, each {min_scale, min_size, risk, license_type}.
CREATE TABLE kbli_rule (
    kbli           text        NOT NULL CHECK (kbli ~ '^[0-9]{5}$'),
    version        integer     NOT NULL CHECK (version > 0),
    effective_from timestamptz NOT NULL,
    title          text        NOT NULL,
    sector         text        NOT NULL,
    size_metric    text        NOT NULL DEFAULT '',
    bands          jsonb       NOT NULL,
    PRIMARY KEY (kbli, version),
    UNIQUE (kbli, effective_from)
);

-- Days off of the SLA calendar (Asia/Jakarta): national holidays and cuti
-- bersama, as decreed each year (SKB 3 Menteri).
CREATE TABLE holiday (
    day  date PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('national', 'cuti_bersama'))
);

INSERT INTO holiday (day, name, kind) VALUES
    ('2026-01-01', 'Tahun Baru 2026 Masehi', 'national'),
    ('2026-01-16', 'Isra Mikraj Nabi Muhammad SAW', 'national'),
    ('2026-02-16', 'Cuti bersama Tahun Baru Imlek', 'cuti_bersama'),
    ('2026-02-17', 'Tahun Baru Imlek 2577 Kongzili', 'national'),
    ('2026-03-18', 'Cuti bersama Hari Suci Nyepi', 'cuti_bersama'),
    ('2026-03-19', 'Hari Suci Nyepi Tahun Baru Saka 1948', 'national'),
    ('2026-03-20', 'Cuti bersama Idul Fitri 1447 H', 'cuti_bersama'),
    ('2026-03-21', 'Hari Raya Idul Fitri 1447 H', 'national'),
    ('2026-03-22', 'Hari Raya Idul Fitri 1447 H', 'national'),
    ('2026-03-23', 'Cuti bersama Idul Fitri 1447 H', 'cuti_bersama'),
    ('2026-03-24', 'Cuti bersama Idul Fitri 1447 H', 'cuti_bersama'),
    ('2026-04-03', 'Wafat Yesus Kristus', 'national'),
    ('2026-04-05', 'Kebangkitan Yesus Kristus (Paskah)', 'national'),
    ('2026-05-01', 'Hari Buruh Internasional', 'national'),
    ('2026-05-14', 'Kenaikan Yesus Kristus', 'national'),
    ('2026-05-15', 'Cuti bersama Kenaikan Yesus Kristus', 'cuti_bersama'),
    ('2026-05-27', 'Hari Raya Idul Adha 1447 H', 'national'),
    ('2026-05-28', 'Cuti bersama Idul Adha 1447 H', 'cuti_bersama'),
    ('2026-05-31', 'Hari Raya Waisak 2570 BE', 'national'),
    ('2026-06-01', 'Hari Lahir Pancasila', 'national'),
    ('2026-06-16', 'Tahun Baru Islam 1448 H', 'national'),
    ('2026-08-17', 'Hari Proklamasi Kemerdekaan RI', 'national'),
    ('2026-08-25', 'Maulid Nabi Muhammad SAW', 'national'),
    ('2026-12-24', 'Cuti bersama Hari Raya Natal', 'cuti_bersama'),
    ('2026-12-25', 'Hari Raya Natal', 'national');

-- Requirements: code, name, max_bytes, content_type (pdf | image | any).
INSERT INTO license_type (code, version, effective_from, name, risk, requirements, fee, sla_days, validity_months) VALUES
    ('NIB-RENDAH', 1, '2021-02-02T00:00:00+07:00', 'Nomor Induk Berusaha (risiko rendah)', 'low', '[]', 0, 0, 0),
    ('SS-MANDIRI', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar (pernyataan mandiri)', 'medium_low',
        '[{"code":"pernyataan_mandiri","name":"Pernyataan mandiri pemenuhan standar","max_bytes":2097152,"content_type":"pdf"}]', 0, 0, 0),
    ('SSV-PANGAN', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: usaha pangan', 'medium_high',
        '[{"code":"sertifikat_laik_higiene","name":"Sertifikat laik higiene sanitasi","max_bytes":5242880,"content_type":"pdf"},{"code":"denah_lokasi","name":"Denah lokasi usaha","max_bytes":5242880,"content_type":"any"}]',
        500000, 5, 60),
    -- Version 2 in force from 2027: a higher fee and a shorter SLA. Applications submitted before keep version 1.
    ('SSV-PANGAN', 2, '2027-01-01T00:00:00+07:00', 'Sertifikat Standar terverifikasi: usaha pangan', 'medium_high',
        '[{"code":"sertifikat_laik_higiene","name":"Sertifikat laik higiene sanitasi","max_bytes":5242880,"content_type":"pdf"},{"code":"denah_lokasi","name":"Denah lokasi usaha","max_bytes":5242880,"content_type":"any"}]',
        750000, 3, 60),
    ('SSV-INDUSTRI', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: industri', 'medium_high',
        '[{"code":"dokumen_lingkungan","name":"Dokumen lingkungan (UKL-UPL)","max_bytes":10485760,"content_type":"pdf"},{"code":"denah_pabrik","name":"Denah pabrik","max_bytes":5242880,"content_type":"any"}]',
        1000000, 10, 60),
    ('SSV-HOTEL', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: hotel', 'medium_high',
        '[{"code":"pbg","name":"Persetujuan Bangunan Gedung (PBG)","max_bytes":10485760,"content_type":"pdf"},{"code":"denah_bangunan","name":"Denah bangunan","max_bytes":10485760,"content_type":"any"},{"code":"dokumen_lingkungan","name":"Dokumen lingkungan (UKL-UPL)","max_bytes":10485760,"content_type":"pdf"}]',
        2500000, 10, 60),
    ('IZIN-HOTEL', 1, '2021-02-02T00:00:00+07:00', 'Izin usaha hotel', 'high',
        '[{"code":"pbg","name":"Persetujuan Bangunan Gedung (PBG)","max_bytes":10485760,"content_type":"pdf"},{"code":"denah_bangunan","name":"Denah bangunan","max_bytes":10485760,"content_type":"any"},{"code":"amdal","name":"Analisis Mengenai Dampak Lingkungan (AMDAL)","max_bytes":20971520,"content_type":"pdf"}]',
        5000000, 15, 60),
    ('SSV-PETERNAKAN', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: peternakan', 'medium_high',
        '[{"code":"rekomendasi_dinas","name":"Rekomendasi dinas peternakan","max_bytes":5242880,"content_type":"pdf"},{"code":"dokumen_lingkungan","name":"Dokumen lingkungan (UKL-UPL)","max_bytes":10485760,"content_type":"pdf"}]',
        1000000, 10, 60),
    ('IZIN-PETERNAKAN', 1, '2021-02-02T00:00:00+07:00', 'Izin usaha peternakan', 'high',
        '[{"code":"rekomendasi_dinas","name":"Rekomendasi dinas peternakan","max_bytes":5242880,"content_type":"pdf"},{"code":"amdal","name":"Analisis Mengenai Dampak Lingkungan (AMDAL)","max_bytes":20971520,"content_type":"pdf"}]',
        2500000, 15, 60),
    ('SSV-KONSTRUKSI', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: jasa konstruksi', 'medium_high',
        '[{"code":"sbu","name":"Sertifikat Badan Usaha (SBU)","max_bytes":5242880,"content_type":"pdf"},{"code":"skk","name":"Sertifikat Kompetensi Kerja (SKK)","max_bytes":5242880,"content_type":"pdf"}]',
        1500000, 10, 36),
    ('IZIN-KONSTRUKSI', 1, '2021-02-02T00:00:00+07:00', 'Izin usaha jasa konstruksi', 'high',
        '[{"code":"sbu","name":"Sertifikat Badan Usaha (SBU)","max_bytes":5242880,"content_type":"pdf"},{"code":"skk","name":"Sertifikat Kompetensi Kerja (SKK)","max_bytes":5242880,"content_type":"pdf"},{"code":"laporan_keuangan","name":"Laporan keuangan teraudit","max_bytes":10485760,"content_type":"pdf"}]',
        3000000, 15, 36),
    ('IZIN-RUMAH-SAKIT', 1, '2021-02-02T00:00:00+07:00', 'Izin operasional rumah sakit', 'high',
        '[{"code":"profil_rumah_sakit","name":"Profil rumah sakit","max_bytes":10485760,"content_type":"pdf"},{"code":"pbg","name":"Persetujuan Bangunan Gedung (PBG)","max_bytes":10485760,"content_type":"pdf"},{"code":"amdal","name":"Analisis Mengenai Dampak Lingkungan (AMDAL)","max_bytes":20971520,"content_type":"pdf"}]',
        10000000, 20, 60),
    ('SSV-ANGKUTAN', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: angkutan barang', 'medium_high',
        '[{"code":"uji_kir","name":"Bukti lulus uji berkala kendaraan (KIR)","max_bytes":5242880,"content_type":"any"},{"code":"stnk","name":"STNK kendaraan","max_bytes":5242880,"content_type":"any"}]',
        750000, 7, 60),
    ('SSV-PENDIDIKAN', 1, '2021-02-02T00:00:00+07:00', 'Sertifikat Standar terverifikasi: satuan pendidikan', 'medium_high',
        '[{"code":"kurikulum","name":"Dokumen kurikulum","max_bytes":10485760,"content_type":"pdf"},{"code":"denah_bangunan","name":"Denah bangunan","max_bytes":10485760,"content_type":"any"}]',
        500000, 10, 60),
    ('IZIN-KIMIA', 1, '2021-02-02T00:00:00+07:00', 'Izin usaha industri kimia', 'high',
        '[{"code":"amdal","name":"Analisis Mengenai Dampak Lingkungan (AMDAL)","max_bytes":20971520,"content_type":"pdf"},{"code":"lembar_data_keselamatan","name":"Lembar data keselamatan bahan (SDS)","max_bytes":10485760,"content_type":"pdf"}]',
        7500000, 20, 60);

INSERT INTO kbli_rule (kbli, version, effective_from, title, sector, size_metric, bands) VALUES
    ('56101', 1, '2021-02-02T00:00:00+07:00', 'Restoran', 'Penyediaan akomodasi dan makan minum', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_scale":"medium","risk":"medium_low","license_type":"SS-MANDIRI"},{"min_scale":"large","risk":"medium_high","license_type":"SSV-PANGAN"}]'),
    ('56303', 1, '2021-02-02T00:00:00+07:00', 'Rumah minum/kafe', 'Penyediaan akomodasi dan makan minum', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_scale":"large","risk":"medium_low","license_type":"SS-MANDIRI"}]'),
    ('55110', 1, '2021-02-02T00:00:00+07:00', 'Hotel bintang', 'Penyediaan akomodasi dan makan minum', 'rooms',
        '[{"risk":"medium_high","license_type":"SSV-HOTEL"},{"min_size":100,"risk":"high","license_type":"IZIN-HOTEL"}]'),
    ('01411', 1, '2021-02-02T00:00:00+07:00', 'Pembibitan dan budidaya sapi potong', 'Pertanian, kehutanan dan perikanan', 'head_count',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_size":300,"risk":"medium_high","license_type":"SSV-PETERNAKAN"},{"min_size":1000,"risk":"high","license_type":"IZIN-PETERNAKAN"}]'),
    ('82920', 1, '2021-02-02T00:00:00+07:00', 'Aktivitas pengepakan', 'Aktivitas penyewaan dan sewa guna usaha, ketenagakerjaan, agen perjalanan dan penunjang usaha lainnya', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_scale":"medium","risk":"medium_low","license_type":"SS-MANDIRI"}]'),
    ('47111', 1, '2021-02-02T00:00:00+07:00', 'Perdagangan eceran yang utamanya makanan, minuman atau tembakau di minimarket/supermarket/hypermarket', 'Perdagangan besar dan eceran', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_scale":"medium","risk":"medium_low","license_type":"SS-MANDIRI"}]'),
    ('10710', 1, '2021-02-02T00:00:00+07:00', 'Industri produk roti dan kue', 'Industri pengolahan', '',
        '[{"risk":"medium_low","license_type":"SS-MANDIRI"},{"min_scale":"medium","risk":"medium_high","license_type":"SSV-INDUSTRI"}]'),
    ('41011', 1, '2021-02-02T00:00:00+07:00', 'Konstruksi gedung hunian', 'Konstruksi', '',
        '[{"risk":"medium_high","license_type":"SSV-KONSTRUKSI"},{"min_scale":"large","risk":"high","license_type":"IZIN-KONSTRUKSI"}]'),
    ('62010', 1, '2021-02-02T00:00:00+07:00', 'Aktivitas pemrograman komputer', 'Informasi dan komunikasi', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"}]'),
    ('86101', 1, '2021-02-02T00:00:00+07:00', 'Aktivitas rumah sakit', 'Aktivitas kesehatan manusia dan aktivitas sosial', '',
        '[{"risk":"high","license_type":"IZIN-RUMAH-SAKIT"}]'),
    ('49431', 1, '2021-02-02T00:00:00+07:00', 'Angkutan bermotor untuk barang umum', 'Pengangkutan dan pergudangan', '',
        '[{"risk":"medium_high","license_type":"SSV-ANGKUTAN"}]'),
    ('85111', 1, '2021-02-02T00:00:00+07:00', 'Pendidikan Taman Kanak-Kanak (TK)', 'Pendidikan', '',
        '[{"risk":"medium_high","license_type":"SSV-PENDIDIKAN"}]'),
    ('68111', 1, '2021-02-02T00:00:00+07:00', 'Real estat yang dimiliki sendiri atau disewa', 'Real estat', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"}]'),
    ('96112', 1, '2021-02-02T00:00:00+07:00', 'Aktivitas salon kecantikan', 'Aktivitas jasa lainnya', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"},{"min_scale":"medium","risk":"medium_low","license_type":"SS-MANDIRI"}]'),
    ('46100', 1, '2021-02-02T00:00:00+07:00', 'Perdagangan besar atas dasar balas jasa (fee) atau kontrak', 'Perdagangan besar dan eceran', '',
        '[{"risk":"low","license_type":"NIB-RENDAH"}]'),
    ('20119', 1, '2021-02-02T00:00:00+07:00', 'Industri kimia dasar organik lainnya', 'Industri pengolahan', '',
        '[{"risk":"medium_high","license_type":"SSV-INDUSTRI"},{"min_scale":"medium","risk":"high","license_type":"IZIN-KIMIA"}]');

-- +goose Down
DROP TABLE holiday;
DROP TABLE kbli_rule;
DROP TABLE license_type;
DROP TABLE business;
