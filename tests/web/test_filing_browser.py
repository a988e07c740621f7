"""A citizen files a dossier in a real browser, with JavaScript: signs up, finds the procedure,
fills the form page by page, uploads two files by the resumable upload API with a progress bar,
chooses delivery by post, checks the answers, files, and finds the dossier again in "My
dossiers" and on the public lookup page."""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from browsing import sign_up
from permit import LAO_CAI, PHUONG_LAO_CAI
from playwright.sync_api import Browser, FilePayload, expect

LICENCE = "1.002804"
LICENCE_NAME = "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp"
PNG: FilePayload = {
    "name": "mat-truoc.png",
    "mimeType": "image/png",
    "buffer": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 2000,
}
PDF: FilePayload = {
    "name": "mat-sau.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 9000,
}
TEXT: FilePayload = {
    "name": "ghi-chu.txt",
    "mimeType": "text/plain",
    "buffer": b"Not a document at all, just a few words of text." * 20,
}
SCREENSHOTS = Path("/tmp/motcua-screenshots")
CODE = re.compile(r"^[0-9A-Z.]+-\d{6}-\d{4}$")


def test_a_citizen_files_a_dossier_and_follows_it(browser: Browser, live_server: str) -> None:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        sign_up(page, live_server, phone="0912 345 678")

        # Find the procedure and start.
        page.goto(live_server)
        page.fill("#search-q", "doi giay phep lai xe")
        page.keyboard.press("Enter")
        page.get_by_role("link", name=LICENCE_NAME).click()
        page.locator("main a.button-start").first.click()
        expect(page.locator("h1")).to_have_text("Nộp hồ sơ trực tuyến")
        page.get_by_role("button", name="Bắt đầu").click()

        # Page 1: the licence holder.
        expect(page.locator("h1")).to_have_text("Người đề nghị đổi giấy phép lái xe")
        expect(page.locator("main .caption")).to_contain_text("Bước 1/5")
        page.fill("#f-full_name", "Phạm Minh Đức")
        page.check("#f-gender")
        page.fill("#f-birth_date", "15/04/1985")
        page.fill("#f-citizen_id", "001085012345")
        page.select_option("#f-residence-province", LAO_CAI)
        expect(
            page.locator(f"#f-residence-commune option[value='{PHUONG_LAO_CAI}']")
        ).to_have_count(1)
        page.select_option("#f-residence-commune", PHUONG_LAO_CAI)
        page.fill("#f-residence-street", "Số 8 đường Hoàng Liên")
        page.fill("#f-phone", "0912345678")
        page.get_by_role("button", name="Tiếp tục", exact=True).click()

        # Page 2: the licence, with both sides uploaded at once, resumably.
        expect(page.locator("h1")).to_have_text("Giấy phép lái xe đề nghị đổi")
        page.fill("#f-licence_number", "790123456789")
        page.check("input[name='licence_classes'][value='B2']")
        page.fill("#f-licence_issue_date", "10/05/2015")
        page.fill("#f-issuing_authority", "Sở Giao thông vận tải Yên Bái")
        page.select_option("#f-renewal_reason", "expiring")
        expect(page.locator("[data-upload-button='f-licence_file']")).to_be_hidden()
        # A file the slot does not take is refused with the server's reason.
        page.set_input_files("#f-licence_file", files=[TEXT])
        refusal = page.locator("#f-licence_file-upload .upload-failed .error-message")
        expect(refusal).to_contain_text("ghi-chu.txt")
        expect(refusal).to_contain_text("Không nhận ra loại của tệp")
        expect(page.locator("#f-licence_file-files")).not_to_contain_text("ghi-chu.txt")
        page.set_input_files("#f-licence_file", files=[PNG, PDF])
        progress = page.locator("#f-licence_file-upload")
        expect(progress.locator("progress")).to_have_count(2)
        expect(progress.locator(".upload-percent")).to_have_text(["100%", "100%"])
        files = page.locator("#f-licence_file-files")
        expect(files).to_contain_text("mat-truoc.png")
        expect(files).to_contain_text("mat-sau.pdf")
        expect(files).to_contain_text("Đã đính kèm 2 tệp")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#f-licence_file-group").screenshot(path=str(SCREENSHOTS / "uploads.png"))
        # What was typed on the page stays while the list of files is refreshed.
        expect(page.locator("#f-licence_number")).to_have_value("790123456789")
        page.get_by_role("button", name="Tiếp tục", exact=True).click()

        # Page 3: health certificate and the declaration.
        expect(page.locator("h1")).to_have_text("Sức khỏe và nhận kết quả")
        page.check("#f-health_data_linked")
        page.check("#f-delivery_method-2")
        page.fill("#f-postal_address-street", "Số 8 đường Hoàng Liên")
        page.select_option("#f-postal_address-province", LAO_CAI)
        expect(
            page.locator(f"#f-postal_address-commune option[value='{PHUONG_LAO_CAI}']")
        ).to_have_count(1)
        page.select_option("#f-postal_address-commune", PHUONG_LAO_CAI)
        page.check("#f-declaration_consent")
        page.get_by_role("button", name="Tiếp tục", exact=True).click()

        # Delivery: by post, to a commune chosen from the province.
        expect(page.locator("h1")).to_have_text("Nhận kết quả")
        expect(page.locator("#f-recipient")).to_be_hidden()
        page.check("#f-delivery-3")
        expect(page.locator("#f-recipient")).to_have_value("Phạm Minh Đức")
        page.select_option("#f-address-province", LAO_CAI)
        expect(page.locator(f"#f-address-commune option[value='{PHUONG_LAO_CAI}']")).to_have_count(
            1
        )
        page.select_option("#f-address-commune", PHUONG_LAO_CAI)
        page.fill("#f-address-street", "Số 8 đường Hoàng Liên")
        page.get_by_role("button", name="Tiếp tục", exact=True).click()

        # Check the answers, then file.
        expect(page.locator("h1")).to_have_text("Kiểm tra câu trả lời")
        main = page.locator("main")
        expect(main).to_contain_text("790123456789")
        expect(main).to_contain_text("mat-truoc.png")
        expect(main).to_contain_text("mat-sau.pdf")
        expect(main).to_contain_text("Qua dịch vụ bưu chính công ích")
        expect(main).to_contain_text("Số 8 đường Hoàng Liên, Phường Lào Cai, Tỉnh Lào Cai")
        assert Axe().run(page).violations_count == 0
        page.locator("main").get_by_role("button", name="Nộp hồ sơ").click()

        # The acknowledgement.
        expect(page.locator("h1")).to_have_text("Đã nộp hồ sơ")
        code = page.locator("#dossier-code").inner_text().strip()
        assert CODE.fullmatch(code), code
        expect(main).to_contain_text("Mới đăng ký")
        expect(main).to_contain_text(re.compile(r"\d\d:\d\d \d\d/\d\d/\d{4}"))
        expect(page.get_by_role("button", name="Sao chép mã")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "acknowledgement.png"), full_page=True)
        assert Axe().run(page).violations_count == 0

        # In "My dossiers", and its page.
        page.get_by_role("link", name="Hồ sơ của tôi").first.click()
        expect(page.get_by_role("link", name=code)).to_be_visible()
        page.get_by_role("link", name=code).click()
        expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
        expect(main).to_contain_text("Nộp hồ sơ trực tuyến")

        # And on the public lookup page, signed out. Lookups are throttled per address: this
        # one comes from an address of its own (the live server trusts the local proxy
        # header), apart from the other tests' lookups from 127.0.0.1.
        page.get_by_role("button", name="Đăng xuất").click()
        page.set_extra_http_headers({"X-Forwarded-For": "203.0.113.8"})
        page.get_by_role("link", name="Tra cứu hồ sơ").first.click()
        page.fill("#f-code", code)
        page.fill("#f-verifier", "5678")
        page.get_by_role("button", name="Tra cứu", exact=True).click()
        result = page.locator(".lookup-result")
        expect(result).to_contain_text("Mới đăng ký")
        expect(result).to_contain_text("Chờ cơ quan tiếp nhận kiểm tra hồ sơ")
        expect(result).not_to_contain_text("Phạm Minh Đức")
    finally:
        context.close()
