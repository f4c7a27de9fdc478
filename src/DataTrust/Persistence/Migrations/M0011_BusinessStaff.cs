using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>Business console: which staff account belongs to which data recipient.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261122000500_BusinessStaff")]
internal sealed class M0011_BusinessStaff : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("business_staff", t => new
        {
            user_id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            added_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_business_staff", x => x.user_id);
            t.ForeignKey("fk_business_staff_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_business_staff_recipients_client_id", x => x.client_id, "recipients", "client_id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_business_staff_client_id", "business_staff", "client_id");
    }
}
