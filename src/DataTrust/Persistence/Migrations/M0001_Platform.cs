using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>Accounts (ASP.NET Core Identity, schema version 3), the client registry and Data Protection keys.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000100_Platform")]
internal sealed class M0001_Platform : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("users", t => new
        {
            id = t.Column<Guid>(nullable: false),
            display_name = t.Column<string>(maxLength: 200, nullable: false),
            preferred_locale = t.Column<string>(maxLength: 16, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            user_name = t.Column<string>(maxLength: 256, nullable: true),
            normalized_user_name = t.Column<string>(maxLength: 256, nullable: true),
            email = t.Column<string>(maxLength: 256, nullable: true),
            normalized_email = t.Column<string>(maxLength: 256, nullable: true),
            email_confirmed = t.Column<bool>(nullable: false),
            password_hash = t.Column<string>(nullable: true),
            security_stamp = t.Column<string>(nullable: true),
            concurrency_stamp = t.Column<string>(nullable: true),
            phone_number = t.Column<string>(maxLength: 256, nullable: true),
            phone_number_confirmed = t.Column<bool>(nullable: false),
            two_factor_enabled = t.Column<bool>(nullable: false),
            lockout_end = t.Column<DateTimeOffset>(nullable: true),
            lockout_enabled = t.Column<bool>(nullable: false),
            access_failed_count = t.Column<int>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_users", x => x.id));
        migration.CreateIndex("user_name_index", "users", "normalized_user_name", unique: true);
        migration.CreateIndex("email_index", "users", "normalized_email");

        migration.CreateTable("roles", t => new
        {
            id = t.Column<Guid>(nullable: false),
            name = t.Column<string>(maxLength: 256, nullable: true),
            normalized_name = t.Column<string>(maxLength: 256, nullable: true),
            concurrency_stamp = t.Column<string>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_roles", x => x.id));
        migration.CreateIndex("role_name_index", "roles", "normalized_name", unique: true);

        migration.CreateTable("role_claims", t => new
        {
            id = t.Column<int>(nullable: false).Generated(),
            role_id = t.Column<Guid>(nullable: false),
            claim_type = t.Column<string>(nullable: true),
            claim_value = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_role_claims", x => x.id);
            t.ForeignKey("fk_role_claims_roles_role_id", x => x.role_id, "roles", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_role_claims_role_id", "role_claims", "role_id");

        migration.CreateTable("user_claims", t => new
        {
            id = t.Column<int>(nullable: false).Generated(),
            user_id = t.Column<Guid>(nullable: false),
            claim_type = t.Column<string>(nullable: true),
            claim_value = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_claims", x => x.id);
            t.ForeignKey("fk_user_claims_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_user_claims_user_id", "user_claims", "user_id");

        migration.CreateTable("user_logins", t => new
        {
            login_provider = t.Column<string>(maxLength: 128, nullable: false),
            provider_key = t.Column<string>(maxLength: 128, nullable: false),
            provider_display_name = t.Column<string>(nullable: true),
            user_id = t.Column<Guid>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_logins", x => new { x.login_provider, x.provider_key });
            t.ForeignKey("fk_user_logins_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_user_logins_user_id", "user_logins", "user_id");

        migration.CreateTable("user_passkeys", t => new
        {
            credential_id = t.Column<byte[]>(maxLength: 1024, nullable: false),
            user_id = t.Column<Guid>(nullable: false),
            data = t.Column<string>(type: migration.Json(), nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_passkeys", x => x.credential_id);
            t.ForeignKey("fk_user_passkeys_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_user_passkeys_user_id", "user_passkeys", "user_id");

        migration.CreateTable("user_roles", t => new
        {
            user_id = t.Column<Guid>(nullable: false),
            role_id = t.Column<Guid>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_roles", x => new { x.user_id, x.role_id });
            t.ForeignKey("fk_user_roles_roles_role_id", x => x.role_id, "roles", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_user_roles_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_user_roles_role_id", "user_roles", "role_id");

        migration.CreateTable("user_tokens", t => new
        {
            user_id = t.Column<Guid>(nullable: false),
            login_provider = t.Column<string>(maxLength: 128, nullable: false),
            name = t.Column<string>(maxLength: 128, nullable: false),
            value = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_user_tokens", x => new { x.user_id, x.login_provider, x.name });
            t.ForeignKey("fk_user_tokens_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });

        migration.CreateTable("clients", t => new
        {
            id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            display_name = t.Column<string>(maxLength: 200, nullable: false),
            kind = t.Column<string>(maxLength: 32, nullable: false),
            token_endpoint_auth_method = t.Column<string>(maxLength: 32, nullable: false),
            secret_hash = t.Column<string>(maxLength: 200, nullable: true),
            jwks = t.Column<string>(nullable: true),
            redirect_uris = t.Column<string>(nullable: false),
            post_logout_redirect_uris = t.Column<string>(nullable: false),
            grant_types = t.Column<string>(nullable: false),
            high_assurance = t.Column<bool>(nullable: false),
            enabled = t.Column<bool>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_clients", x => x.id));
        migration.CreateIndex("ix_clients_client_id", "clients", "client_id", unique: true);

        migration.CreateTable("data_protection_keys", t => new
        {
            id = t.Column<int>(nullable: false).Generated(),
            friendly_name = t.Column<string>(maxLength: 200, nullable: false),
            xml = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_data_protection_keys", x => x.id));
    }
}
