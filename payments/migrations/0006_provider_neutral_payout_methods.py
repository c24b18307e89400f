"""A payout method names its provider and keeps an opaque destination: the bank accounts of the
manual provider keep their IBAN, BIC and country inside it. A payout's provider is set when it is
first claimed (from its member's method), so it may be empty before."""

from django.db import migrations, models


def _masked(iban: str) -> str:
    return f"{iban[:4]} •••• {iban[-4:]}" if len(iban) > 8 else "••••"


def to_destinations(apps, schema_editor):
    PayoutMethod = apps.get_model("payments", "PayoutMethod")
    for method in PayoutMethod.objects.all().iterator():
        method.provider = "manual"
        method.destination = {"iban": method.iban, "bic": method.bic, "country": method.country}
        method.shown_as = _masked(method.iban)
        method.save(update_fields=["provider", "destination", "shown_as"])


def from_destinations(apps, schema_editor):
    PayoutMethod = apps.get_model("payments", "PayoutMethod")
    for method in PayoutMethod.objects.all().iterator():
        destination = method.destination or {}
        method.kind = "sepa"
        method.iban = destination.get("iban", "")
        method.bic = destination.get("bic", "")
        method.country = destination.get("country", "")
        method.save(update_fields=["kind", "iban", "bic", "country"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_payout_transition_record"),
    ]

    operations = [
        migrations.AddField(
            model_name="payoutmethod",
            name="provider",
            field=models.CharField(default="manual", max_length=30, verbose_name="provider"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payoutmethod",
            name="destination",
            field=models.JSONField(default=dict, verbose_name="payout destination"),
        ),
        migrations.AddField(
            model_name="payoutmethod",
            name="shown_as",
            field=models.CharField(default="", max_length=60, verbose_name="masked account"),
            preserve_default=False,
        ),
        migrations.RunPython(to_destinations, from_destinations, elidable=False),
        migrations.RemoveConstraint(model_name="payoutmethod", name="payments_method_kind_valid"),
        # Defaults only so that going back can add the columns to existing rows (then filled from the destination).
        migrations.AlterField(
            model_name="payoutmethod",
            name="iban",
            field=models.CharField(default="", max_length=34, verbose_name="IBAN"),
        ),
        migrations.AlterField(
            model_name="payoutmethod", name="bic", field=models.CharField(default="", max_length=11, verbose_name="BIC")
        ),
        migrations.AlterField(
            model_name="payoutmethod",
            name="country",
            field=models.CharField(default="", max_length=2, verbose_name="country"),
        ),
        migrations.RemoveField(model_name="payoutmethod", name="kind"),
        migrations.RemoveField(model_name="payoutmethod", name="iban"),
        migrations.RemoveField(model_name="payoutmethod", name="bic"),
        migrations.RemoveField(model_name="payoutmethod", name="country"),
        migrations.AlterField(
            model_name="payout",
            name="provider",
            field=models.CharField(blank=True, max_length=30, verbose_name="provider"),
        ),
    ]
