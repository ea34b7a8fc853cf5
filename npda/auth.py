from django.contrib.auth.backends import ModelBackend


class CaseInsensitiveEmailBackend(ModelBackend):
    """Email login, whatever the case the user types (the manager looks up email__iexact)."""
