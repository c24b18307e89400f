from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from django.urls import reverse

        from community import targets
        from community.models import User

        # Members follow members; nobody comments on a member.
        targets.register(
            User,
            can_view=lambda viewer, member: member.is_active,
            url=lambda member: reverse("community:profile", kwargs={"pk": member.pk}),
            title=lambda member: member.public_name,
            commentable=False,
            visible=lambda viewer: User.objects.filter(is_active=True),
        )
