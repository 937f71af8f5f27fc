from django.conf import settings


def portal(request):
    hindi = getattr(request, "LANGUAGE_CODE", "en") == "hi"
    return {
        "PORTAL_NAME": settings.EKSEVA_PORTAL_NAME_HI if hindi else settings.EKSEVA_PORTAL_NAME,
        "STATE_NAME": settings.EKSEVA_STATE_NAME_HI if hindi else settings.EKSEVA_STATE_NAME,
        "DEV_OUTBOX": settings.DEV_OUTBOX,
    }
