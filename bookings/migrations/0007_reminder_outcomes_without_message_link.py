"""Reminders end SENT, DELIVERED, READ, FAILED, UNKNOWN or CANCELLED, and find their message by its
idempotency key (`reminder:<id>`, which every reminder message already carried) instead of a
foreign key: bookings no longer depends on the messaging schema."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0006_slot_holds_and_waitlist_row_security'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='reminder',
            name='message',
        ),
        migrations.AlterField(
            model_name='reminder',
            name='status',
            field=models.CharField(choices=[('PENDING', 'Pending'), ('QUEUED', 'Queued'), ('SENT', 'Sent'), ('DELIVERED', 'Delivered'), ('READ', 'Read'), ('FAILED', 'Failed'), ('UNKNOWN', 'Outcome unknown'), ('CANCELLED', 'Cancelled')], default='PENDING', max_length=10),
        ),
    ]
