"""The open licences a blueprint may carry, and which licences a fork may choose."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    CC_BY_SA_4 = "CC-BY-SA-4.0", "CC BY-SA 4.0"
    CC_BY_4 = "CC-BY-4.0", "CC BY 4.0"
    CC0_1 = "CC0-1.0", "CC0 1.0"
    CERN_OHL_S_2 = "CERN-OHL-S-2.0", "CERN-OHL-S-2.0"
    CERN_OHL_W_2 = "CERN-OHL-W-2.0", "CERN-OHL-W-2.0"
    CERN_OHL_P_2 = "CERN-OHL-P-2.0", "CERN-OHL-P-2.0"


DEFAULT_LICENCE = Licence.CC_BY_SA_4

LICENCE_URLS = {
    Licence.CC_BY_SA_4: "https://creativecommons.org/licenses/by-sa/4.0/",
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC0_1: "https://creativecommons.org/publicdomain/zero/1.0/",
    Licence.CERN_OHL_S_2: "https://ohwr.org/cern_ohl_s_v2.txt",
    Licence.CERN_OHL_W_2: "https://ohwr.org/cern_ohl_w_v2.txt",
    Licence.CERN_OHL_P_2: "https://ohwr.org/cern_ohl_p_v2.txt",
}

LICENCE_SUMMARIES = {
    Licence.CC_BY_SA_4: _("Share and adapt with credit; adaptations under the same licence."),
    Licence.CC_BY_4: _("Share and adapt with credit."),
    Licence.CC0_1: _("No rights reserved: public domain."),
    Licence.CERN_OHL_S_2: _("Strongly reciprocal hardware licence: modified designs stay open."),
    Licence.CERN_OHL_W_2: _("Weakly reciprocal hardware licence: changes to the design stay open."),
    Licence.CERN_OHL_P_2: _("Permissive hardware licence."),
}

# What a fork of a blueprint under the key may be licensed under. Share-alike licences bind forks
# to themselves; permissive ones may become stricter within their family (CC0 anywhere).
FORK_LICENCES: dict[str, tuple[str, ...]] = {
    Licence.CC_BY_SA_4: (Licence.CC_BY_SA_4,),
    Licence.CC_BY_4: (Licence.CC_BY_4, Licence.CC_BY_SA_4),
    Licence.CC0_1: tuple(Licence.values),
    Licence.CERN_OHL_S_2: (Licence.CERN_OHL_S_2,),
    Licence.CERN_OHL_W_2: (Licence.CERN_OHL_W_2, Licence.CERN_OHL_S_2),
    Licence.CERN_OHL_P_2: (Licence.CERN_OHL_P_2, Licence.CERN_OHL_W_2, Licence.CERN_OHL_S_2),
}


def licence_url(code: str) -> str:
    return LICENCE_URLS.get(Licence(code), "")


def fork_licences(parent: str) -> tuple[str, ...]:
    return FORK_LICENCES[Licence(parent)]
