using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DataTrust.Persistence.Migrations;

/// <summary>Vault ingestion: residents' links to data providers with their storage consents, deposit idempotency, record provenance.</summary>
[DbContext(typeof(DataTrustDbContext))]
[Migration("20261122000200_VaultIngestion")]
internal sealed class M0008_VaultIngestion : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.AddColumn<string>("provider_id", "vault_records", maxLength: 200, nullable: true);
        migration.AddColumn<DateTimeOffset>("corrected_at", "vault_records", nullable: true);
        migration.CreateIndex("ix_vault_records_category_id_created_at", "vault_records", ["category_id", "created_at"]);

        migration.CreateTable("vault_provider_links", t => new
        {
            id = t.Column<Guid>(nullable: false),
            link_id = t.Column<string>(maxLength: 43, nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            provider_id = t.Column<string>(maxLength: 200, nullable: false),
            linked_at = t.Column<DateTimeOffset>(nullable: false),
            unlinked_at = t.Column<DateTimeOffset>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_vault_provider_links", x => x.id));
        migration.CreateIndex("ix_vault_provider_links_link_id", "vault_provider_links", "link_id", unique: true);
        migration.CreateIndex("ix_vault_provider_links_resident_id_provider_id", "vault_provider_links", ["resident_id", "provider_id"]);

        migration.CreateTable("vault_storage_consents", t => new
        {
            id = t.Column<Guid>(nullable: false),
            link_id = t.Column<Guid>(nullable: false),
            category_id = t.Column<string>(maxLength: 100, nullable: false),
            version = t.Column<int>(nullable: false),
            given = t.Column<bool>(nullable: false),
            decided_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_vault_storage_consents", x => x.id);
            t.ForeignKey("fk_vault_storage_consents_vault_provider_links_link_id", x => x.link_id, "vault_provider_links", "id", onDelete: ReferentialAction.Cascade);
        });
        migration.CreateIndex("ix_vault_storage_consents_link_id_category_id_version", "vault_storage_consents", ["link_id", "category_id", "version"], unique: true);

        migration.CreateTable("vault_deposits", t => new
        {
            provider_id = t.Column<string>(maxLength: 200, nullable: false),
            idempotency_key = t.Column<string>(maxLength: 200, nullable: false),
            request_hash = t.Column<byte[]>(nullable: false),
            resident_id = t.Column<Guid>(nullable: false),
            record_ids = t.Column<string>(nullable: false),
            created_at = t.Column<DateTimeOffset>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_vault_deposits", x => new { x.provider_id, x.idempotency_key }));
        migration.CreateIndex("ix_vault_deposits_resident_id", "vault_deposits", "resident_id");
        migration.CreateIndex("ix_vault_deposits_created_at", "vault_deposits", "created_at");
    }
}
