package app

import (
	"fmt"
	"time"

	"gerbang/services/portal/internal/domain"
)

// The mails the portal sends about an account. Each is plain text, in Bahasa
// Indonesia first and English after it: a mail has no language switch.

const mailSignature = "\n-- \nGerbang — Perizinan dan Pengadaan untuk Dunia Usaha\nPesan ini dikirim otomatis; jangan membalasnya. / This message was sent automatically; do not reply to it.\n"

// hoursText writes a link's lifetime as people say it.
func hoursText(ttl time.Duration) (id, en string) {
	h := int(ttl.Round(time.Hour) / time.Hour)
	if h < 1 {
		m := int(ttl.Round(time.Minute) / time.Minute)
		return fmt.Sprintf("%d menit", m), fmt.Sprintf("%d minutes", m)
	}
	if h == 1 {
		return "1 jam", "1 hour"
	}
	return fmt.Sprintf("%d jam", h), fmt.Sprintf("%d hours", h)
}

func verificationMail(acc domain.Account, link string, ttl time.Duration) Mail {
	id, en := hoursText(ttl)
	return Mail{
		To:      acc.Email,
		Subject: "Verifikasi email akun Gerbang Anda / Verify the email of your Gerbang account",
		Text: fmt.Sprintf(`Halo %[1]s,

Untuk menyelesaikan pendaftaran akun Gerbang Anda, buka tautan ini:

%[2]s

Tautan ini berlaku %[3]s dan hanya dapat dipakai sekali. Jika Anda tidak mendaftar di Gerbang, abaikan email ini.

---

Hello %[1]s,

To finish signing up for your Gerbang account, open this link:

%[2]s

The link works for %[4]s and only once. If you did not sign up for Gerbang, ignore this email.
`, acc.DisplayName, link, id, en) + mailSignature,
	}
}

func alreadyRegisteredMail(acc domain.Account, login, forgot string) Mail {
	return Mail{
		To:      acc.Email,
		Subject: "Anda sudah punya akun Gerbang / You already have a Gerbang account",
		Text: fmt.Sprintf(`Halo %[1]s,

Seseorang (mungkin Anda) mencoba mendaftar di Gerbang dengan alamat email ini, tetapi alamat ini sudah punya akun.
Masuk di %[2]s
Lupa kata sandi? Buat yang baru di %[3]s
Jika bukan Anda, abaikan email ini; akun Anda tidak berubah.

---

Hello %[1]s,

Someone (perhaps you) tried to sign up for Gerbang with this email address, but it already has an account.
Log in at %[2]s
Forgotten your password? Choose a new one at %[3]s
If it was not you, ignore this email; your account has not changed.
`, acc.DisplayName, login, forgot) + mailSignature,
	}
}

func resetMail(acc domain.Account, link string, ttl time.Duration) Mail {
	id, en := hoursText(ttl)
	return Mail{
		To:      acc.Email,
		Subject: "Atur ulang kata sandi Gerbang / Reset your Gerbang password",
		Text: fmt.Sprintf(`Halo %[1]s,

Untuk membuat kata sandi baru, buka tautan ini:

%[2]s

Tautan ini berlaku %[3]s dan hanya dapat dipakai sekali. Setelah kata sandi diganti, semua sesi lain akun ini berakhir.
Jika Anda tidak meminta ini, abaikan email ini; kata sandi Anda tidak berubah.

---

Hello %[1]s,

To choose a new password, open this link:

%[2]s

The link works for %[4]s and only once. Once the password is changed, every other session of this account ends.
If you did not ask for this, ignore this email; your password has not changed.
`, acc.DisplayName, link, id, en) + mailSignature,
	}
}

func noAccountMail(email, signup string) Mail {
	return Mail{
		To:      email,
		Subject: "Permintaan atur ulang kata sandi Gerbang / Gerbang password reset request",
		Text: fmt.Sprintf(`Halo,

Seseorang (mungkin Anda) meminta atur ulang kata sandi Gerbang untuk alamat email ini, tetapi tidak ada akun aktif dengan alamat ini.
Jika Anda ingin membuat akun, daftar di %[1]s
Jika bukan Anda, abaikan email ini.

---

Hello,

Someone (perhaps you) asked to reset the Gerbang password of this email address, but no active account has this address.
To open an account, sign up at %[1]s
If it was not you, ignore this email.
`, signup) + mailSignature,
	}
}

func passwordChangedMail(acc domain.Account, forgot string) Mail {
	return Mail{
		To:      acc.Email,
		Subject: "Kata sandi Gerbang Anda telah diganti / Your Gerbang password was changed",
		Text: fmt.Sprintf(`Halo %[1]s,

Kata sandi akun Gerbang Anda baru saja diganti, dan sesi lain akun ini telah berakhir.
Jika bukan Anda yang menggantinya, segera buat kata sandi baru di %[2]s

---

Hello %[1]s,

The password of your Gerbang account was just changed, and the account's other sessions have ended.
If you did not change it, choose a new password at once at %[2]s
`, acc.DisplayName, forgot) + mailSignature,
	}
}
