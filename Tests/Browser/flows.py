"""Pictor in a real browser: headless Chromium (Debian's), driven by Playwright, through nginx.

Run by Tests/EndToEndTests/BrowserTests.swift against a stack it started:
    .venv/bin/python Tests/Browser/flows.py BASE_URL SCREENSHOT_DIR
Each flow is a function; the first failed check stops the run with a message naming the step,
and the exit status is 1. Every page must load without a script error or a broken image.
"""

import sys
import uuid
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1].rstrip("/")
SHOTS = Path(sys.argv[2])
PASSWORD = "correct horse battery staple"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def watch(page: Page, problems: list):
    """Collects script errors and images that failed to load, on every page the tab visits."""
    page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console error on {page.url}: {message.text}"))


def assert_no_broken_images(page: Page):
    broken = page.evaluate("""() => Array.from(document.images)
        .filter(image => image.getAttribute("src") && image.complete && image.naturalWidth === 0).map(image => image.src)""")
    check(not broken, f"broken images on {page.url}: {broken}")


def sign_up(page: Page) -> str:
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(BASE + "/signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/signup'] button[type=submit]")
    page.fill("input[name=password]", PASSWORD)   # the login page the sign-up answers with
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/generate")
    return email


def generate_batch(page: Page, prompt: str, count: int):
    page.fill("#gen-prompt", prompt)
    page.select_option("#gen-count", str(count))
    page.click("form.generate-form button[type=submit]")
    page.wait_for_url("**/generate?batch=*")


def results_ready(page: Page, count: int, timeout: float = 30_000):
    page.wait_for_function(
        f"() => document.querySelectorAll('li[data-result][data-status=succeeded] img').length === {count}", timeout=timeout)


def flow_with_javascript(browser):
    context = browser.new_context(base_url=BASE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=BASE)
    page = context.new_page()
    problems = []
    watch(page, problems)

    sign_up(page)
    # The total follows the choices before anything is sent.
    page.select_option("#gen-count", "3")
    check(page.inner_text("[data-total]") == "3 credits", "the total is price × count")
    page.fill("#gen-prompt", "x" * 1001)
    check("1,001 / 1,000" in page.inner_text("#gen-prompt-count"), "the counter shows a prompt over the limit")

    generate_batch(page, "three paper boats on a pond", 3)
    url = page.url
    results_ready(page, 3)
    check(page.url == url, "the results filled in place, without leaving the page")
    check(page.input_value("#gen-prompt") == "three paper boats on a pond", "the form keeps the prompt")
    assert_no_broken_images(page)

    page.click("li[data-result] >> nth=0 >> text=Vary")
    page.wait_for_url("**/generate?batch=*")
    check(page.url != url, "Vary made a new request")
    results_ready(page, 1)

    # The viewer: the full-size image over the gallery, stepped through with the keyboard.
    page.goto(BASE + "/gallery")
    tiles = page.locator("li.tile").count()
    check(tiles == 4, f"the gallery shows the 4 images, not {tiles}")
    page.locator("li.tile >> nth=0 >> a.tile-media").click()
    check(page.locator("dialog.viewer[open] img").count() == 1, "a click opens the viewer")
    page.wait_for_function("() => document.querySelector('dialog.viewer img').naturalWidth > 0")
    check("(1 of 4)" in page.inner_text(".viewer-caption"), "the viewer says where it is")
    page.keyboard.press("ArrowRight")
    check("(2 of 4)" in page.inner_text(".viewer-caption"), "→ steps to the next image")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    check("(4 of 4)" in page.inner_text(".viewer-caption"), "← from the first wraps to the last")
    check(page.locator("dialog.viewer button", has_text="Copy link").is_hidden(), "a private image has no link to share")
    page.keyboard.press("Escape")
    check(page.locator("dialog.viewer[open]").count() == 0, "Esc closes the viewer")
    check("/gallery" in page.url, "the viewer never left the gallery")

    # The bulk delete stays disabled until something is ticked; filters apply on change.
    check(page.is_disabled("button[data-bulk-delete]"), "Delete selected is disabled with nothing selected")
    page.locator("li.tile >> nth=0 >> input[name=ids]").check()
    check(page.is_enabled("button[data-bulk-delete]"), "and enabled once an image is ticked")
    page.locator("li.tile >> nth=0 >> input[name=ids]").uncheck()
    page.select_option("#gallery-model", "sdxl")
    page.wait_for_url("**model=sdxl**")
    page.goto(BASE + "/gallery")

    # The account menu closes with Esc and with a click elsewhere.
    page.click("details.account-menu > summary")
    check(page.locator("details.account-menu[open]").count() == 1, "the account menu opens")
    page.keyboard.press("Escape")
    check(page.locator("details.account-menu[open]").count() == 0, "Esc closes the account menu")
    page.click("details.account-menu > summary")
    page.click("h1")
    check(page.locator("details.account-menu[open]").count() == 0, "a click elsewhere closes it")

    # Delete one image from the gallery: stay there, and be told.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("li.tile >> nth=0 >> button.tile-delete").click()
    page.wait_for_load_state()
    check("/gallery" in page.url, f"deleting from the gallery stays in the gallery, not {page.url}")
    check(page.locator(".flash").inner_text() == "The image was deleted.", "the gallery says what happened")
    check(page.locator("li.tile").count() == tiles - 1, "one tile fewer")

    # An API key: shown once, copied with the button, not created again by a reload.
    page.goto(BASE + "/account")
    page.fill("#key-name", "browser key")
    page.click("form[action='/account/api-keys#api-keys'] button[type=submit]")
    secret = page.input_value("#new-key-secret")
    check(secret.startswith("pk_"), "the new key is shown")
    page.click("button[data-copy=new-key-secret]")
    check(page.evaluate("navigator.clipboard.readText()") == secret, "Copy key puts the key on the clipboard")
    page.reload()
    check(page.locator("#new-key-secret").count() == 0, "a reload shows the key no more")
    check(page.locator(".key-item", has_text="browser key").count() == 1, "and creates no second key")

    check(not problems, "\n".join(problems))
    context.close()


def flow_without_javascript(browser):
    context = browser.new_context(base_url=BASE, java_script_enabled=False)
    page = context.new_page()
    sign_up(page)
    generate_batch(page, "two kites over a beach", 2)
    # Reload as the page's <noscript> refresh does, until both images are in.
    for _ in range(60):
        if page.locator("li[data-result][data-status=succeeded] img").count() == 2:
            break
        page.wait_for_timeout(500)
        page.reload()
    check(page.locator("li[data-result] img").count() == 2, "both results shown without JavaScript")
    check(page.locator("meta[http-equiv=refresh]").count() == 0, "the refresh stops once they are in")
    first_batch = page.url
    page.click("li[data-result] >> nth=0 >> text=Vary")
    page.wait_for_url("**/generate?batch=*")
    check(page.url != first_batch and page.locator("li[data-result]").count() == 1, "Vary is a form: it works without JavaScript")

    page.goto(BASE + "/gallery")
    tiles = page.locator("li.tile").count()
    page.locator("li.tile >> nth=0 >> button.tile-delete").click()
    page.wait_for_load_state()
    check("/gallery" in page.url and page.locator(".flash").inner_text() == "The image was deleted.", "delete without JavaScript")
    check(page.locator("li.tile").count() == tiles - 1, "one tile fewer")

    page.goto(BASE + "/account")
    page.fill("#key-name", "no-js key")
    page.click("form[action='/account/api-keys#api-keys'] button[type=submit]")
    check(page.input_value("#new-key-secret").startswith("pk_"), "the key is shown without JavaScript")
    page.reload()
    check(page.locator("#new-key-secret").count() == 0, "shown once")
    context.close()


ACCESSIBILITY_CHECK = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("the page has no lang");
  for (const image of document.images) if (!image.hasAttribute("alt")) problems.push("an image without alt: " + image.src);
  for (const control of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const labelled = control.labels && control.labels.length || control.getAttribute("aria-label") || control.getAttribute("aria-labelledby")
      || control.closest("label") || control.hidden || control.type === "submit";
    if (!labelled) problems.push("a form control without a label: " + (control.name || control.id));
  }
  for (const element of document.querySelectorAll("a[href], button")) {
    const name = (element.textContent || "").trim() || element.getAttribute("aria-label") || element.getAttribute("title")
      || (element.querySelector("img[alt]") && element.querySelector("img[alt]").alt);
    if (!name && !element.hidden && element.offsetParent !== null) problems.push("a link or button without a name: " + element.outerHTML.slice(0, 80));
  }
  const ids = {};
  for (const element of document.querySelectorAll("[id]")) {
    if (ids[element.id]) problems.push("a repeated id: " + element.id);
    ids[element.id] = true;
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  if (!document.querySelector("main")) problems.push("no main landmark");
  return problems;
}"""


def flow_providers_and_payments(browser):
    """The forms that send the browser to another site: "Continue with Google" (to the local
    authorization server the test runs, and back) and "Subscribe" (to Stripe Checkout, answered
    here by a route, as the machine is offline). The pages' Content-Security-Policy must let
    both forms' redirects through."""
    context = browser.new_context(base_url=BASE)
    context.route("https://checkout.stripe.com/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>Stripe Checkout</title><h1>Stripe Checkout</h1>"))
    page = context.new_page()
    problems = []
    watch(page, problems)

    page.goto(BASE + "/login")
    check(not page.evaluate(ACCESSIBILITY_CHECK), f"/login with providers: {page.evaluate(ACCESSIBILITY_CHECK)}")
    page.click("text=Continue with Google")
    page.wait_for_url("**/generate")
    check(page.locator(".flash").inner_text().startswith("Welcome! Your account is ready"), "a new account is welcomed")
    page.goto(BASE + "/account")
    check(page.locator("#sign-in .identity", has_text="Google").count() == 1, "the account lists its Google sign-in")
    check(not page.evaluate(ACCESSIBILITY_CHECK), f"/account with sign-in methods: {page.evaluate(ACCESSIBILITY_CHECK)}")
    for scheme in ["light", "dark"]:
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(SHOTS / f"account-sign-in-{scheme}.png"), full_page=True)

    page.goto(BASE + "/pricing")
    page.click("article[aria-labelledby=plan-starter] button[type=submit]")
    page.wait_for_url("https://checkout.stripe.com/c/pay/**")
    check(page.locator("h1").inner_text() == "Stripe Checkout", "Subscribe leads to Stripe Checkout")

    check(not problems, "\n".join(problems))
    context.close()


def accessibility_and_screenshots(browser):
    """The main pages, signed in, light and dark: no serious problem, a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    watch(page, problems)
    for path, name in [("/", "landing"), ("/pricing", "pricing"), ("/login", "login")]:
        page.goto(BASE + path)
        check(not page.evaluate(ACCESSIBILITY_CHECK), f"{path}: {page.evaluate(ACCESSIBILITY_CHECK)}")
        for scheme in ["light", "dark"]:
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(SHOTS / f"{name}-signed-out-{scheme}.png"), full_page=True)
    sign_up(page)
    generate_batch(page, "a lighthouse at dusk", 2)
    results_ready(page, 2)
    found = page.evaluate(ACCESSIBILITY_CHECK)
    check(not found, f"the workspace: {found}")
    for scheme in ["light", "dark"]:
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(SHOTS / f"workspace-{scheme}.png"), full_page=True)
    for path, name in [("/", "landing"), ("/generate", "generate"), ("/gallery", "gallery"), ("/pricing", "pricing"),
                       ("/account", "account"), ("/explore", "explore"), ("/privacy", "privacy"), ("/terms", "terms")]:
        page.goto(BASE + path)
        assert_no_broken_images(page)
        found = page.evaluate(ACCESSIBILITY_CHECK)
        check(not found, f"{path}: {found}")
        for scheme in ["light", "dark"]:
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(SHOTS / f"{name}-{scheme}.png"), full_page=True)
    check(not problems, "\n".join(problems))
    context.close()


def main():
    with sync_playwright() as playwright:
        # Root in CI: Chromium's sandbox needs user namespaces that containers often lack.
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        try:
            for flow in [flow_with_javascript, flow_without_javascript, flow_providers_and_payments, accessibility_and_screenshots]:
                flow(browser)
                print(f"ok: {flow.__name__}", flush=True)
        except Failure as failure:
            print(f"FAILED: {failure}", flush=True)
            sys.exit(1)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
