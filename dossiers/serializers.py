"""How the API writes a `DossierView` (plain data, read once by the selector) as JSON."""

from rest_framework import serializers


def _amount() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2)


class PersonCreditSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    profile_url = serializers.CharField()
    is_lead = serializers.BooleanField()
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class UpstreamCreditSerializer(serializers.Serializer):
    generation = serializers.IntegerField(help_text="1 = the blueprint this one was forked from, 2 = its parent, ...")
    blueprint_id = serializers.IntegerField()
    blueprint_title = serializers.CharField()
    blueprint_url = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    owner_url = serializers.CharField()
    licence = serializers.CharField()


class PrizeShareSerializer(serializers.Serializer):
    recipient_id = serializers.IntegerField()
    recipient_name = serializers.CharField()
    amount = _amount()
    currency = serializers.CharField()
    kind = serializers.CharField(help_text="author, co_author or lineage")
    generation = serializers.IntegerField()


class PartFileSerializer(serializers.Serializer):
    file_id = serializers.IntegerField()
    name = serializers.CharField()
    file_type = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    is_mesh = serializers.BooleanField()


class BomLineSerializer(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    material = serializers.CharField()
    mass_kg = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    unit_cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    supplier_note = serializers.CharField()


class PlacementSerializer(serializers.Serializer):
    position = serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3)
    rotation = serializers.ListField(
        child=serializers.FloatField(), min_length=3, max_length=3, help_text="Degrees, XYZ Euler order."
    )
    scale = serializers.FloatField()


class DossierPartSerializer(serializers.Serializer):
    part_id = serializers.IntegerField()
    position = serializers.IntegerField()
    phase_id = serializers.IntegerField()
    rank = serializers.IntegerField()
    prize_amount = _amount()
    prize_currency = serializers.CharField()
    awarded_at = serializers.DateTimeField()
    entry_id = serializers.IntegerField()
    entry_title = serializers.CharField()
    entry_url = serializers.CharField()
    blueprint_id = serializers.IntegerField()
    blueprint_title = serializers.CharField()
    blueprint_slug = serializers.CharField()
    blueprint_url = serializers.CharField(help_text="The pinned revision's page.")
    revision_id = serializers.IntegerField()
    revision_number = serializers.IntegerField()
    licence = serializers.CharField(help_text="The licence pinned when the version was made.")
    authors = PersonCreditSerializer(many=True)
    shares = PrizeShareSerializer(many=True)
    upstream = UpstreamCreditSerializer(many=True, help_text="Nearest ancestor first.")
    files = PartFileSerializer(many=True)
    bom = BomLineSerializer(many=True)
    placement = PlacementSerializer()


class PhaseSectionSerializer(serializers.Serializer):
    phase_id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.CharField()
    depends_on = serializers.ListField(child=serializers.IntegerField())
    parts = DossierPartSerializer(many=True, help_text="By rank; empty for a phase not awarded (yet).")


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    is_complete = serializers.BooleanField()
    part_count = serializers.IntegerField()


class DossierSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    is_complete = serializers.BooleanField()
    is_latest = serializers.BooleanField()
    challenge_id = serializers.IntegerField()
    challenge_title = serializers.CharField()
    challenge_slug = serializers.CharField()
    challenge_url = serializers.CharField()
    challenge_currency = serializers.CharField()
    phases = PhaseSectionSerializer(many=True, help_text="In graph order: the concept first.")
    versions = VersionSummarySerializer(many=True, help_text="Every version, oldest first.")
