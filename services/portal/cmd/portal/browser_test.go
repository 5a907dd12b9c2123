package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, the browser the portal is tested in.
const chromiumPath = "/usr/bin/chromium"

// ensureChromium installs Debian's chromium when the machine lacks it: the
// browser test runs everywhere, it never skips.
func ensureChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	t.Logf("%s missing: installing Debian's chromium", chromiumPath)
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "chromium"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("apt-get installed chromium, yet: %v", err)
	}
	return chromiumPath
}

// TestBrowserLogsInAndVerifiesALicenseOnAPhone drives the portal in headless
// Chromium at a phone's size: the home page, the login form, then the page a
// certificate's QR code opens.
func TestBrowserLogsInAndVerifiesALicenseOnAPhone(t *testing.T) {
	browser := ensureChromium(t)
	var calls atomic.Int64
	licensing := fakeLicensing(t, &calls)
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": licensing.URL})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no-first-run, disable-background-networking, ...
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	)
	var browserOut bytes.Buffer
	opts = append(opts, chromedp.CombinedOutput(&browserOut))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	err := chromedp.Do(tab,
		phone,
		chromedp.Navigate(svc.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "usaha@demo.gerbang.id"),
		chromedp.SendKeys(chromedp.ID("password"), "demo12345"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	if err != nil {
		t.Fatalf("log in through the form: %v\nbrowser: %s", err, browserOut.String())
	}
	signedIn, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signedIn, "Masuk sebagai Siti Rahayu") || !strings.Contains(signedIn, "Dasbor") {
		t.Fatalf("after logging in the home page says:\n%s", signedIn)
	}

	if err := chromedp.Do(tab,
		chromedp.Navigate(svc.URL+"/verify/LIC-2026-000123"),
		chromedp.WaitVisible(chromedp.CSS(".verdict")),
	); err != nil {
		t.Fatalf("open the verification page: %v", err)
	}
	verdict, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".verdict")))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".badge")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verdict, "Izin asli") || status != "Aktif" {
		t.Errorf("verdict %q, status %q", verdict, status)
	}
	// Nothing wider than the phone: no sideways scrolling.
	fits, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if !fits {
		width, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		t.Errorf("the page is %d CSS pixels wide on a 390 pixel phone", width)
	}

	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("the screenshot is no PNG (%d bytes)", len(shot))
	}
	// PORTAL_SCREENSHOT_DIR keeps the screenshot for a person to look at.
	dir := os.Getenv("PORTAL_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "verify-390x844.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the verification page: %s", path)
}
