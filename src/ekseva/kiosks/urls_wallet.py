"""Pages of the wallet (views_wallet.py), under /<lang>/kiosks/:

wallet/                          the kiosk's own wallet (staff: pick a kiosk)
wallet/topup/  mark/  deposits/  the franchisee's forms (POST)
wallet/statement/ [csv/ pdf/]    the statement with a running balance
wallet/<code>/ [statement/ …]    any kiosk's wallet, for staff allowed kiosks.view
manage/deposits/ [<id>/ …]       operator staff verify or reject deposit slips
"""

from django.urls import path, re_path

from . import views_wallet as views

CODE = r"(?P<code>K[0-9A-Z]{4,19})"

urlpatterns = [
    path("wallet/", views.wallet_page, name="wallet"),
    path("wallet/topup/", views.topup, name="wallet_topup"),
    path("wallet/mark/", views.mark, name="wallet_mark"),
    path("wallet/deposits/", views.deposit, name="wallet_deposit"),
    path("wallet/statement/", views.statement, name="wallet_statement"),
    path("wallet/statement/csv/", views.statement_csv, name="wallet_statement_csv"),
    path("wallet/statement/pdf/", views.statement_pdf, name="wallet_statement_pdf"),
    re_path(rf"^wallet/{CODE}/$", views.wallet_of, name="wallet_of"),
    re_path(rf"^wallet/{CODE}/statement/$", views.statement_of, name="wallet_statement_of"),
    re_path(
        rf"^wallet/{CODE}/statement/csv/$",
        views.statement_of_csv,
        name="wallet_statement_of_csv",
    ),
    re_path(
        rf"^wallet/{CODE}/statement/pdf/$",
        views.statement_of_pdf,
        name="wallet_statement_of_pdf",
    ),
    path("manage/deposits/", views.manage_deposits, name="manage_deposits"),
    path("manage/deposits/<int:pk>/", views.manage_deposit, name="manage_deposit"),
    path("manage/deposits/<int:pk>/verify/", views.verify_deposit, name="manage_deposit_verify"),
    path("manage/deposits/<int:pk>/reject/", views.reject_deposit, name="manage_deposit_reject"),
]
