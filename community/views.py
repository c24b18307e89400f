"""Pages of the community app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from community.forms import ProfileForm
from community.http import AuthenticatedHttpRequest
from community.services import user_update_profile
from core.exceptions import ApplicationError


@login_required
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changes = {field: form.cleaned_data[field] for field in form.Meta.fields if field != "avatar"}
            if "avatar" in form.changed_data:
                changes["avatar"] = form.cleaned_data["avatar"]
            user_update_profile(user=request.user, **changes)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("community:profile_edit")
    return render(request, "community/profile_edit.html", {"form": form})
