using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>The consent ledger: recipients and their reviews, data requests, consents with their versions, events and receipts, standing instructions, notifications, webhooks.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261122000100_Consent")]
internal sealed class M0007_Consent : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.CreateTable("recipients", t => new
        {
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            organisation_name = t.Column<string>(maxLength: 200, nullable: false),
            status = t.Column<string>(maxLength: 16, nullable: false),
            special_care_approved = t.Column<bool>(nullable: false),
            webhook_url = t.Column<string>(maxLength: 500, nullable: true),
            registered_at = t.Column<DateTimeOffset>(nullable: false),
            status_changed_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_recipients", x => x.client_id));

        migration.CreateTable("recipient_reviews", t => new
        {
            id = t.Column<long>(nullable: false).Generated(),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            decision = t.Column<string>(maxLength: 16, nullable: false),
            criteria = t.Column<string>(nullable: false),
            reasons = t.Column<string>(nullable: false),
            reviewer_id = t.Column<Guid>(nullable: false),
            policy_version = t.Column<string>(maxLength: 80, nullable: false),
            reviewed_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_recipient_reviews", x => x.id);
            t.ForeignKey("fk_recipient_reviews_recipients_client_id", x => x.client_id, "recipients", "client_id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_recipient_reviews_client_id", "recipient_reviews", "client_id");

        migration.CreateTable("data_requests", t => new
        {
            id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            purpose_id = t.Column<string>(maxLength: 64, nullable: false),
            categories = t.Column<string>(nullable: false),
            duration = t.Column<string>(maxLength: 16, nullable: false),
            access_mode = t.Column<string>(maxLength: 16, nullable: false),
            max_releases_per_period = t.Column<int>(nullable: true),
            frequency_period = t.Column<string>(maxLength: 16, nullable: true),
            data_from = t.Column<DateTimeOffset>(nullable: true),
            data_to = t.Column<DateTimeOffset>(nullable: true),
            benefit_ja = t.Column<string>(nullable: false),
            benefit_en = t.Column<string>(nullable: false),
            explanation_ja = t.Column<string>(nullable: false),
            explanation_en = t.Column<string>(nullable: false),
            state = t.Column<string>(maxLength: 16, nullable: false),
            special_care = t.Column<bool>(nullable: false),
            policy_version = t.Column<string>(maxLength: 80, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            updated_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_data_requests", x => x.id);
            t.ForeignKey("fk_data_requests_recipients_client_id", x => x.client_id, "recipients", "client_id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_data_requests_client_id", "data_requests", "client_id");
        migration.CreateIndex("ix_data_requests_state", "data_requests", "state");

        migration.CreateTable("data_request_reviews", t => new
        {
            id = t.Column<long>(nullable: false).Generated(),
            data_request_id = t.Column<Guid>(nullable: false),
            decision = t.Column<string>(maxLength: 16, nullable: false),
            sensitive_data_approved = t.Column<bool>(nullable: false),
            reasons = t.Column<string>(nullable: false),
            reviewer_id = t.Column<Guid>(nullable: false),
            reviewed_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_data_request_reviews", x => x.id);
            t.ForeignKey("fk_data_request_reviews_data_requests_data_request_id", x => x.data_request_id, "data_requests", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_data_request_reviews_data_request_id", "data_request_reviews", "data_request_id");

        migration.CreateTable("consents", t => new
        {
            id = t.Column<Guid>(nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            data_request_id = t.Column<Guid>(nullable: false),
            version = t.Column<int>(nullable: false),
            state = t.Column<string>(maxLength: 16, nullable: false),
            expires_at = t.Column<DateTimeOffset>(nullable: true),
            grant_id = t.Column<Guid>(nullable: true),
            release_count = t.Column<int>(nullable: false),
            period_started_at = t.Column<DateTimeOffset>(nullable: true),
            releases_in_period = t.Column<int>(nullable: false),
            last_release_at = t.Column<DateTimeOffset>(nullable: true),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            updated_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_consents", x => x.id);
            t.ForeignKey("fk_consents_users_resident_id", x => x.resident_id, "users", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_consents_data_requests_data_request_id", x => x.data_request_id, "data_requests", "id", onDelete: ReferentialAction.Restrict);
            t.ForeignKey("fk_consents_grants_grant_id", x => x.grant_id, "grants", "id", onDelete: ReferentialAction.SetNull);
        });
        migration.CreateIndex("ix_consents_resident_id", "consents", "resident_id");
        migration.CreateIndex("ix_consents_client_id", "consents", "client_id");
        migration.CreateIndex("ix_consents_data_request_id", "consents", "data_request_id");
        migration.CreateIndex("ix_consents_grant_id", "consents", "grant_id");
        migration.CreateIndex("ix_consents_state_expires_at", "consents", ["state", "expires_at"]);

        migration.CreateTable("consent_versions", t => new
        {
            consent_id = t.Column<Guid>(nullable: false),
            version = t.Column<int>(nullable: false),
            state = t.Column<string>(maxLength: 16, nullable: false),
            purpose_id = t.Column<string>(maxLength: 64, nullable: false),
            categories = t.Column<string>(nullable: false),
            duration = t.Column<string>(maxLength: 16, nullable: false),
            starts_at = t.Column<DateTimeOffset>(nullable: true),
            expires_at = t.Column<DateTimeOffset>(nullable: true),
            data_from = t.Column<DateTimeOffset>(nullable: true),
            data_to = t.Column<DateTimeOffset>(nullable: true),
            access_mode = t.Column<string>(maxLength: 16, nullable: false),
            max_releases_per_period = t.Column<int>(nullable: true),
            frequency_period = t.Column<string>(maxLength: 16, nullable: true),
            policy_version = t.Column<string>(maxLength: 80, nullable: false),
            receipt_id = t.Column<Guid>(nullable: true),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_consent_versions", x => new { x.consent_id, x.version });
            t.ForeignKey("fk_consent_versions_consents_consent_id", x => x.consent_id, "consents", "id", onDelete: ReferentialAction.Cascade);
        });

        migration.CreateTable("consent_events", t => new
        {
            id = t.Column<long>(nullable: false).Generated(),
            consent_id = t.Column<Guid>(nullable: false),
            version = t.Column<int>(nullable: false),
            kind = t.Column<string>(maxLength: 32, nullable: false),
            actor_type = t.Column<string>(maxLength: 16, nullable: false),
            decided_by = t.Column<string>(maxLength: 100, nullable: true),
            occurred_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_consent_events", x => x.id);
            t.ForeignKey("fk_consent_events_consents_consent_id", x => x.consent_id, "consents", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_consent_events_consent_id", "consent_events", "consent_id");

        migration.CreateTable("consent_receipts", t => new
        {
            id = t.Column<Guid>(nullable: false),
            consent_id = t.Column<Guid>(nullable: false),
            version = t.Column<int>(nullable: false),
            jws = t.Column<string>(nullable: false),
            issued_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_consent_receipts", x => x.id);
            t.ForeignKey("fk_consent_receipts_consents_consent_id", x => x.consent_id, "consents", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_consent_receipts_consent_id", "consent_receipts", "consent_id");

        migration.CreateTable("standing_instructions", t => new
        {
            id = t.Column<Guid>(nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            kind = t.Column<string>(maxLength: 16, nullable: false),
            purposes = t.Column<string>(nullable: false),
            recipient_kinds = t.Column<string>(nullable: false),
            categories = t.Column<string>(nullable: false),
            max_duration = t.Column<string>(maxLength: 16, nullable: true),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            updated_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_standing_instructions", x => x.id);
            t.ForeignKey("fk_standing_instructions_users_resident_id", x => x.resident_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_standing_instructions_resident_id", "standing_instructions", "resident_id");

        migration.CreateTable("resident_notifications", t => new
        {
            id = t.Column<Guid>(nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            consent_id = t.Column<Guid>(nullable: true),
            kind = t.Column<string>(maxLength: 32, nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
            read_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_resident_notifications", x => x.id);
            t.ForeignKey("fk_resident_notifications_users_resident_id", x => x.resident_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_resident_notifications_resident_id", "resident_notifications", "resident_id");

        migration.CreateTable("webhook_deliveries", t => new
        {
            id = t.Column<Guid>(nullable: false),
            client_id = t.Column<string>(maxLength: 100, nullable: false),
            consent_id = t.Column<Guid>(nullable: true),
            event_type = t.Column<string>(maxLength: 32, nullable: false),
            payload = t.Column<string>(nullable: false),
            status = t.Column<string>(maxLength: 16, nullable: false),
            attempts = t.Column<int>(nullable: false),
            last_status_code = t.Column<int>(nullable: true),
            last_attempt_at = t.Column<DateTimeOffset>(nullable: true),
            delivered_at = t.Column<DateTimeOffset>(nullable: true),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_webhook_deliveries", x => x.id));
        migration.CreateIndex("ix_webhook_deliveries_client_id", "webhook_deliveries", "client_id");

        migration.CreateTable("webhook_attempts", t => new
        {
            id = t.Column<long>(nullable: false).Generated(),
            delivery_id = t.Column<Guid>(nullable: false),
            attempt = t.Column<int>(nullable: false),
            attempted_at = t.Column<DateTimeOffset>(nullable: false),
            status_code = t.Column<int>(nullable: true),
            error = t.Column<string>(maxLength: 200, nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_webhook_attempts", x => x.id);
            t.ForeignKey("fk_webhook_attempts_webhook_deliveries_delivery_id", x => x.delivery_id, "webhook_deliveries", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_webhook_attempts_delivery_id", "webhook_attempts", "delivery_id");
    }
}
