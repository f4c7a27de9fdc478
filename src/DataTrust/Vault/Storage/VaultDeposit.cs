using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Vault.Storage;

/// <summary>
/// What a provider's <c>Idempotency-Key</c> produced: the hash of the request it came with and the records it
/// stored. Only successful deposits leave one; a refused request can be retried with the same key. Kept for
/// <see cref="RetentionPeriod"/>, and deleted with the resident on erasure.
/// </summary>
internal sealed class VaultDeposit
{
    public static readonly TimeSpan RetentionPeriod = TimeSpan.FromDays(7);

    public string ProviderId { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    /// <summary>SHA-256 of the canonical request (link id, category, fields as received).</summary>
    public byte[] RequestHash { get; set; } = [];

    public Guid ResidentId { get; set; }

    /// <summary>The record ids, comma-separated, in request order.</summary>
    public string RecordIds { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class VaultDepositConfiguration : IEntityTypeConfiguration<VaultDeposit>
{
    public const int MaxIdempotencyKeyLength = 200;

    public void Configure(EntityTypeBuilder<VaultDeposit> deposit)
    {
        deposit.ToTable("vault_deposits");
        deposit.HasKey(d => new { d.ProviderId, d.IdempotencyKey });
        deposit.Property(d => d.ProviderId).HasMaxLength(200);
        deposit.Property(d => d.IdempotencyKey).HasMaxLength(MaxIdempotencyKeyLength);
        deposit.HasIndex(d => d.ResidentId);
        deposit.HasIndex(d => d.CreatedAt);
    }
}
