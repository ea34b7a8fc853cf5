from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from npda.data_model.models import NPDAUser


class NPDAUserCreationForm(BaseUserCreationForm):
    class Meta:
        model = NPDAUser
        fields = ("email",)


class NPDAUserChangeForm(UserChangeForm):
    class Meta:
        model = NPDAUser
        fields = "__all__"
