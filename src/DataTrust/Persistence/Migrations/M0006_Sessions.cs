using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>Signed-in browser sessions, so that a person can see them and end them anywhere.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000600_Sessions")]
internal sealed class M0006_Sessions : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("user_sessions", t => new
        {
            id = t.Column<Guid>(nullable: false),
            user_id = t.Column<Guid>(nullable: false),
            device = t.Column<string>(maxLength: 200, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            last_seen_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_sessions", x => x.id);
            t.ForeignKey("fk_user_sessions_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_user_sessions_user_id", "user_sessions", "user_id");
    }
}
