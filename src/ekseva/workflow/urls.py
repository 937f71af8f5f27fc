"""The back office's pages, one namespace ("workflow") under /<lang>/office/. Each
area keeps its own URL module; their prefixes do not overlap:

    returned/<number>/                               urls_citizen   (the applicant's corrections)
    inbox/  case/<number>/                           urls_inbox     (officers' work)
    appeals/                                         urls_appeals   (first and second appeals)
    data/                                            urls_reports   (figures and exports)
    holidays/  delays/                               urls_holidays  (time limits)

The public performance page is ``urls_public`` at /<lang>/performance/.
"""

from . import urls_appeals, urls_citizen, urls_holidays, urls_inbox, urls_reports

app_name = "workflow"

urlpatterns = [
    *urls_citizen.urlpatterns,
    *urls_inbox.urlpatterns,
    *urls_appeals.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_holidays.urlpatterns,
]
