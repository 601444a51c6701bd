"""The owner-role choices follow the roles: the HR specialist (hr) was added."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0003_sweep_schedule'),
    ]

    operations = [
        migrations.AlterField(
            model_name='slaclock',
            name='owner_role',
            field=models.CharField(choices=[('sales_rep', 'E-commerce sales rep'), ('presales_service', 'Pre-sales service'), ('aftersales_service', 'After-sales service'), ('shop_manager', 'Shop manager'), ('listing_reviewer', 'Listing reviewer'), ('designer', 'Designer'), ('promotion', 'Promotion'), ('network_sales', 'Network sales (group-buying)'), ('distribution_specialist', 'Distribution specialist'), ('bu_applicant', 'Business-unit applicant'), ('bu_parts_admin', 'Business-unit parts admin'), ('warehouse_admin', 'Warehouse admin'), ('picker', 'Picker'), ('packer', 'Packer'), ('finance_clerk', 'Finance clerk'), ('hr', 'HR specialist'), ('manager', 'Manager')], max_length=50, verbose_name='owner role'),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='owner_role',
            field=models.CharField(choices=[('sales_rep', 'E-commerce sales rep'), ('presales_service', 'Pre-sales service'), ('aftersales_service', 'After-sales service'), ('shop_manager', 'Shop manager'), ('listing_reviewer', 'Listing reviewer'), ('designer', 'Designer'), ('promotion', 'Promotion'), ('network_sales', 'Network sales (group-buying)'), ('distribution_specialist', 'Distribution specialist'), ('bu_applicant', 'Business-unit applicant'), ('bu_parts_admin', 'Business-unit parts admin'), ('warehouse_admin', 'Warehouse admin'), ('picker', 'Picker'), ('packer', 'Packer'), ('finance_clerk', 'Finance clerk'), ('hr', 'HR specialist'), ('manager', 'Manager')], max_length=50, verbose_name='owner role'),
        ),
    ]
