"""The kiosks app's pages, one namespace ("kiosks") under /<lang>/kiosks/. Each
area keeps its own URL module; their prefixes do not overlap:

    ""  k/<code>/  charges/  complain/  rate/        urls_public     (locator, feedback)
    apply/  activate/  operators/                    urls_onboarding (applying, logins)
    console/                                         urls_console    (serving citizens)
    wallet/                                          urls_wallet     (top-ups, statement)
    commission/                                      urls_commission (statements)
    manage/applications/  manage/kiosks/  manage/complaints/  manage/deposits/
    manage/commission/  manage/payouts/              staff pages of each area
"""

from . import urls_commission, urls_console, urls_onboarding, urls_public, urls_wallet

app_name = "kiosks"

urlpatterns = [
    *urls_onboarding.urlpatterns,
    *urls_console.urlpatterns,
    *urls_wallet.urlpatterns,
    *urls_commission.urlpatterns,
    *urls_public.urlpatterns,  # last: it holds the locator at ""
]
