import pytest

from ekseva.notifications.templates import MissingParamsError, TemplateError, UnknownTemplateError

BOTH = {"en": "Hello {name}", "hi": "नमस्ते {name}"}


def test_register_and_render_both_languages(registry):
    registry.register("demo.hello", sms=BOTH, inapp=BOTH, dlt_template_id="1107")
    template = registry.get("demo.hello")
    assert template.channels == {"sms", "inapp"}
    assert template.render("sms", "en", {"name": "Asha"}).body == "Hello Asha"
    assert template.render("sms", "hi", {"name": "Asha"}).body == "नमस्ते Asha"
    assert template.dlt_template_id == "1107"


def test_email_has_subject_and_body(registry):
    registry.register(
        "demo.mail",
        email_subject={"en": "S {n}", "hi": "वि {n}"},
        email_body={"en": "B {n}", "hi": "मु {n}"},
    )
    rendered = registry.get("demo.mail").render("email", "hi", {"n": 7})
    assert (rendered.subject, rendered.body) == ("वि 7", "मु 7")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sms": {"en": "only english"}},
        {"sms": {"en": "x", "hi": ""}},
        {"sms": {"en": "x", "hi": "y", "fr": "z"}},
        {"email_subject": BOTH},  # a subject without a body
        {},  # no channel at all
        {"sms": {"en": "Hi {name}", "hi": "नमस्ते {naam}"}},  # params differ by language
        {"sms": {"en": "{user.password}", "hi": "{user.password}"}},  # no attribute access
        {"sms": {"en": "{0}", "hi": "{0}"}},  # no positional fields
    ],
)
def test_bad_definitions_are_refused(registry, kwargs):
    with pytest.raises(TemplateError):
        registry.register("demo.bad", **kwargs)
    with pytest.raises(UnknownTemplateError):
        registry.get("demo.bad")


@pytest.mark.parametrize("code", ["nodot", "Demo.Upper", "demo.", ".demo", "demo hello.x"])
def test_code_must_be_app_dot_name(registry, code):
    with pytest.raises(TemplateError):
        registry.register(code, sms=BOTH)


def test_same_definition_twice_is_fine_different_is_refused(registry):
    registry.register("demo.twice", sms=BOTH)
    registry.register("demo.twice", sms=dict(BOTH))
    with pytest.raises(TemplateError, match="already registered"):
        registry.register("demo.twice", sms={"en": "Bye {name}", "hi": "अलविदा {name}"})


def test_render_refuses_missing_params_channel_and_language(registry):
    registry.register(
        "demo.otp", sms={"en": "{code} valid {minutes} min", "hi": "{code} {minutes} मिनट"}
    )
    template = registry.get("demo.otp")
    with pytest.raises(MissingParamsError, match="minutes"):
        template.render("sms", "en", {"code": "123456"})
    with pytest.raises(TemplateError, match="no 'email' text"):
        template.render("email", "en", {"code": 1, "minutes": 5})
    with pytest.raises(TemplateError, match="language"):
        template.render("sms", "ta", {"code": 1, "minutes": 5})


def test_platform_templates_are_registered_in_both_languages(registry):
    ping = registry.get("test.ping")
    assert ping.channels == {"sms", "email", "inapp"}
    for channel in ping.channels:
        en = ping.render(channel, "en", {"nonce": "Z9"})
        hi = ping.render(channel, "hi", {"nonce": "Z9"})
        assert "Z9" in en.body and "Z9" in hi.body and en.body != hi.body
    assert [t.code for t in registry.registered()].count("test.ping") == 1
