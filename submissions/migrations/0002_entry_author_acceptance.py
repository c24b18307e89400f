"""Co-authors agree to an entry and its shares. Authors already on an entry were named under the
old rule, when the lead alone decided; they count as having accepted when the entry was created."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def accepted_when_entered(apps, schema_editor):
    EntryAuthor = apps.get_model("submissions", "EntryAuthor")
    Entry = apps.get_model("submissions", "Entry")
    EntryAuthor.objects.filter(responded_at__isnull=True).update(
        responded_at=Subquery(Entry.objects.filter(pk=OuterRef("entry_id")).values("created_at")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='entryauthor',
            name='acceptance',
            field=models.CharField(choices=[('invited', 'Invited'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='accepted', max_length=10, verbose_name='agreement'),
        ),
        migrations.AlterField(
            model_name='entryauthor',
            name='acceptance',
            field=models.CharField(choices=[('invited', 'Invited'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='invited', max_length=10, verbose_name='agreement'),
        ),
        migrations.AddField(
            model_name='entryauthor',
            name='responded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='answered'),
        ),
        migrations.RunPython(accepted_when_entered, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='entryauthor',
            constraint=models.CheckConstraint(condition=models.Q(('acceptance__in', ['invited', 'accepted', 'declined'])), name='submissions_author_acceptance_valid'),
        ),
        migrations.AddConstraint(
            model_name='entryauthor',
            constraint=models.CheckConstraint(condition=models.Q(('is_lead', False), ('acceptance', 'accepted'), _connector='OR'), name='submissions_author_lead_accepted'),
        ),
        migrations.AddConstraint(
            model_name='entryauthor',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('acceptance', 'invited'), _negated=True), ('responded_at__isnull', True), _connector='OR'), name='submissions_author_invited_unanswered'),
        ),
    ]
