using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>The OpenID provider: signing keys, grants, authorization requests and codes, tokens, the replay cache.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261121000500_Oidc")]
internal sealed class M0005_Oidc : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.AddColumn<string>("scopes", "clients", nullable: false, defaultValue: "");
        migration.AddColumn<string>("id_token_signed_response_alg", "clients", maxLength: 8, nullable: true);
        migration.AddColumn<string>("sector_identifier", "clients", maxLength: 200, nullable: true);

        migration.CreateTable("signing_keys", t => new
        {
            key_id = t.Column<string>(maxLength: 64, nullable: false),
            algorithm = t.Column<string>(maxLength: 8, nullable: false),
            public_jwk = t.Column<string>(nullable: false),
            protected_private_key = t.Column<string>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            signs_from = t.Column<DateTimeOffset>(nullable: false),
            signs_until = t.Column<DateTimeOffset>(nullable: true),
            published_until = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_signing_keys", x => x.key_id));

        migration.CreateTable("provider_secrets", t => new
        {
            name = t.Column<string>(maxLength: 64, nullable: false),
            protected_value = t.Column<string>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_provider_secrets", x => x.name));

        migration.CreateTable("grants", t => new
        {
            id = t.Column<Guid>(nullable: false),
            user_id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            scopes = t.Column<string>(nullable: false),
            authorization_details = t.Column<string>(nullable: true),
            status = t.Column<string>(maxLength: 16, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
            revoked_at = t.Column<DateTimeOffset>(nullable: true),
            revoked_reason = t.Column<string>(maxLength: 64, nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_grants", x => x.id);
            t.ForeignKey("fk_grants_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_grants_user_id_client_id", "grants", ["user_id", "client_id"]);

        migration.CreateTable("authorization_requests", t => new
        {
            id = t.Column<string>(maxLength: 64, nullable: false),
            kind = t.Column<string>(maxLength: 16, nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            parameters = t.Column<string>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
            consumed_at = t.Column<DateTimeOffset>(nullable: true),
            consented_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_authorization_requests", x => x.id));
        migration.CreateIndex("ix_authorization_requests_expires_at", "authorization_requests", "expires_at");

        migration.CreateTable("authorization_codes", t => new
        {
            code_hash = t.Column<string>(maxLength: 64, nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            grant_id = t.Column<Guid>(nullable: false),
            user_id = t.Column<Guid>(nullable: false),
            redirect_uri = t.Column<string>(nullable: false),
            scopes = t.Column<string>(nullable: false),
            nonce = t.Column<string>(maxLength: 512, nullable: true),
            code_challenge = t.Column<string>(maxLength: 64, nullable: false),
            audience = t.Column<string>(nullable: false),
            dpop_jkt = t.Column<string>(maxLength: 64, nullable: true),
            auth_time = t.Column<DateTimeOffset>(nullable: false),
            session_id = t.Column<string>(maxLength: 64, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
            redeemed_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_authorization_codes", x => x.code_hash);
            t.ForeignKey("fk_authorization_codes_grants_grant_id", x => x.grant_id, "grants", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_authorization_codes_grant_id", "authorization_codes", "grant_id");

        migration.CreateTable("refresh_tokens", t => new
        {
            id = t.Column<Guid>(nullable: false),
            token_hash = t.Column<string>(maxLength: 64, nullable: false),
            grant_id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            user_id = t.Column<Guid>(nullable: false),
            scopes = t.Column<string>(nullable: false),
            audience = t.Column<string>(nullable: false),
            dpop_jkt = t.Column<string>(maxLength: 64, nullable: true),
            auth_time = t.Column<DateTimeOffset>(nullable: false),
            session_id = t.Column<string>(maxLength: 64, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
            rotated_at = t.Column<DateTimeOffset>(nullable: true),
            revoked_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_refresh_tokens", x => x.id);
            t.ForeignKey("fk_refresh_tokens_grants_grant_id", x => x.grant_id, "grants", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_refresh_tokens_token_hash", "refresh_tokens", "token_hash", unique: true);
        migration.CreateIndex("ix_refresh_tokens_grant_id", "refresh_tokens", "grant_id");

        migration.CreateTable("access_tokens", t => new
        {
            jti = t.Column<string>(maxLength: 64, nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            grant_id = t.Column<Guid>(nullable: true),
            user_id = t.Column<Guid>(nullable: true),
            subject = t.Column<string>(maxLength: 100, nullable: false),
            audience = t.Column<string>(nullable: false),
            scopes = t.Column<string>(nullable: false),
            dpop_jkt = t.Column<string>(maxLength: 64, nullable: true),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
            revoked_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_access_tokens", x => x.jti);
            t.ForeignKey("fk_access_tokens_grants_grant_id", x => x.grant_id, "grants", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_access_tokens_grant_id", "access_tokens", "grant_id");
        migration.CreateIndex("ix_access_tokens_expires_at", "access_tokens", "expires_at");

        migration.CreateTable("replay_cache", t => new
        {
            key = t.Column<string>(maxLength: 80, nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_replay_cache", x => x.key));
        migration.CreateIndex("ix_replay_cache_expires_at", "replay_cache", "expires_at");
    }
}
