"""Staff roles: the account scope on users, the credentials permission, and the four groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_role_groups(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are otherwise created after the last migration (post_migrate): create them
    # now, from this point's models, so the groups get them. Permissions added by later
    # migrations are given by roles_sync after migrate.
    from backoffice.roles import roles_sync

    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None
    roles_sync(apps=apps, using=using, strict=False)


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0005_person'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='vendoraccount',
            options={'ordering': ['name'], 'permissions': [('test_connection', "Can test a vendor account's connection"), ('sync_from_vendor', 'Can sync vendor data into the back-office'), ('manage_credentials', "Can set a vendor account's credentials")], 'verbose_name': 'vendor account'},
        ),
        migrations.AddField(
            model_name='user',
            name='limited_to_accounts',
            field=models.BooleanField(default=False, help_text='Ticked: this staff member sees and acts on the rows of the accounts chosen below only, and on none if none are chosen. Superusers always see every account.', verbose_name='limited to some vendor accounts'),
        ),
        migrations.AddField(
            model_name='user',
            name='vendor_accounts',
            field=models.ManyToManyField(blank=True, help_text='The accounts this staff member works with, when limited to some.', related_name='scoped_staff', to='backoffice.vendoraccount', verbose_name='vendor accounts'),
        ),
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
    ]
