"""Signing and checking a certificate work on a thread that runs an event loop (a
test driving a browser, an async server): pyHanko's own loop runs elsewhere."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from ekseva.certificates.loops import outside_loop


def under_a_loop(coroutine_function):
    """Run ``coroutine_function()`` under a running event loop of its own, on a fresh
    thread (this worker's thread may already run one: Playwright's)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


def test_outside_loop_runs_a_call_that_needs_its_own_loop_under_a_running_one():
    async def inside() -> int:
        return outside_loop(asyncio.run, asyncio.sleep(0, result=7))

    assert under_a_loop(inside) == 7


def test_a_certificate_is_signed_and_its_signature_checked_under_a_running_loop(db, settings):
    """As in a worker where a browser test left Playwright's loop running."""
    import datetime as dt
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from ekseva.certificates import keys, pdf

    key = keys.current_key("TST")  # database work outside the loop
    content = pdf.Content(
        number="CMP26TST0000001X",
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test",
        service_hi="परीक्षण",
        holder_en="Asha Verma",
        holder_hi="आशा वर्मा",
        application_number="MP26TST0000001C",
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url="https://x.example/verify/",
    )
    rendered = pdf.render(content)
    signer_cert = keys.asn1_certificate(key)

    async def inside() -> bytes:
        return pdf.sign(rendered, key, reason="Issued by Test Department")

    signed = under_a_loop(inside)
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]

    async def check():
        context = ValidationContext(trust_roots=[signer_cert], allow_fetching=False)
        return outside_loop(validate_pdf_signature, signature, context)

    status = under_a_loop(check)
    assert status.intact and status.valid
