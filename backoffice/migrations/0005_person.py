"""Persons across vendors: Contact.person, the match keys and the staff's pin.

Existing contacts are linked by `manage.py link_persons` (it computes their keys too).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0004_sync'),
    ]

    operations = [
        migrations.AddField(
            model_name='contact',
            name='email_normalised',
            field=models.CharField(blank=True, editable=False, max_length=254, verbose_name='e-mail key'),
        ),
        migrations.AddField(
            model_name='contact',
            name='person_locked',
            field=models.BooleanField(default=False, help_text='Automatic linking leaves this contact with its person.', verbose_name='person set by staff'),
        ),
        migrations.AddField(
            model_name='contact',
            name='phone_e164',
            field=models.CharField(blank=True, editable=False, max_length=16, verbose_name='phone (E.164)'),
        ),
        migrations.CreateModel(
            name='Person',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(blank=True, help_text='Taken from the first named contact when the person is created.', max_length=301, verbose_name='name')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'person',
                'ordering': ['-id'],
                'permissions': [('manage_persons', 'Can merge persons and split contacts from a person')],
                'indexes': [models.Index(fields=['name'], name='person_name')],
            },
        ),
        migrations.AddField(
            model_name='contact',
            name='person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contacts', to='backoffice.person', verbose_name='person'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['email_normalised'], name='contact_email_key'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['phone_e164'], name='contact_phone_key'),
        ),
    ]
