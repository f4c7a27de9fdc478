using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Audit.Storage;

/// <summary>
/// One audit entry. Every column is part of the hashed entry bytes (see <see cref="AuditEntryEncoding"/>),
/// so changing any of them is detected; <see cref="LeafHash"/> is stored to serve proofs without re-hashing.
/// </summary>
internal sealed class AuditEntry
{
    /// <summary>Gapless, from 0: also the entry's leaf index in the Merkle tree.</summary>
    public long Seq { get; set; }

    /// <summary>UTC, whole microseconds (what PostgreSQL keeps), so the entry re-encodes exactly.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    public string ActorType { get; set; } = "";

    /// <summary>A person's pseudonym, or a client id or component name.</summary>
    public string ActorId { get; set; } = "";

    public string Action { get; set; } = "";

    /// <summary>The resident's pseudonym (keyed HMAC of the account id), if the entry concerns one.</summary>
    public string? Subject { get; set; }

    public string? Recipient { get; set; }

    public string? Consent { get; set; }

    /// <summary>Canonical JSON array of <c>{"id","type"}</c> objects.</summary>
    public string Objects { get; set; } = "[]";

    /// <summary>Canonical JSON object (RFC 8785).</summary>
    public string Details { get; set; } = "{}";

    /// <summary>The leaf hash of the entry before (32 zero bytes for the first).</summary>
    public byte[] PrevHash { get; set; } = [];

    /// <summary>RFC 9162 leaf hash of this entry's bytes.</summary>
    public byte[] LeafHash { get; set; } = [];
}

/// <summary>
/// The single row every append locks: the tree size, the last leaf hash and the compact range of the
/// tree, so that appends are serialised, gapless and chained even with many writers.
/// </summary>
internal sealed class AuditHead
{
    public const int SingletonId = 1;

    public int Id { get; set; }

    public long Size { get; set; }

    public byte[] LastHash { get; set; } = [];

    /// <summary><see cref="Integrity.CompactRange"/> packed: one 32-byte root per set bit of <see cref="Size"/>.</summary>
    public byte[] Frontier { get; set; } = [];
}

/// <summary>
/// Stored interior nodes of the Merkle tree at levels 8, 16, 24… (every 256th level-0 subtree and so on),
/// so any subtree hash needs at most 128 stored hashes and proofs never re-hash the whole log.
/// </summary>
internal sealed class AuditTreeNode
{
    public const int LevelStride = 8;

    public int Level { get; set; }

    public long Position { get; set; }

    public byte[] Hash { get; set; } = [];
}

/// <summary>A sealed, signed checkpoint of the log.</summary>
internal sealed class AuditCheckpoint
{
    public long Id { get; set; }

    public long TreeSize { get; set; }

    public byte[] RootHash { get; set; } = [];

    public DateTimeOffset SealedAt { get; set; }

    public string KeyId { get; set; } = "";

    /// <summary>The checkpoint as JWS compact serialisation (see <see cref="Integrity.CheckpointJws"/>).</summary>
    public string Jws { get; set; } = "";
}

/// <summary>An audit signing key (ES256). The private key is encrypted at rest with ASP.NET Core Data Protection.</summary>
internal sealed class AuditSigningKey
{
    /// <summary>RFC 7638 thumbprint of the public key.</summary>
    public string KeyId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when a newer key took over; the public key stays published for old checkpoints.</summary>
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>Public JWK (JSON).</summary>
    public string PublicJwk { get; set; } = "";

    /// <summary>PKCS#8 private key, protected with the purpose <c>DataTrust.Audit.SigningKey</c>.</summary>
    public string ProtectedPrivateKey { get; set; } = "";
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("audit_entries");
        entry.HasKey(e => e.Seq);
        entry.Property(e => e.Seq).ValueGeneratedNever();
        entry.Property(e => e.ActorType).HasMaxLength(16);
        entry.Property(e => e.ActorId).HasMaxLength(200);
        entry.Property(e => e.Action).HasMaxLength(64);
        entry.Property(e => e.Subject).HasMaxLength(64);
        entry.Property(e => e.Recipient).HasMaxLength(200);
        entry.Property(e => e.Consent).HasMaxLength(64);
        entry.HasIndex(e => e.RecordedAt).HasDatabaseName("ix_audit_entries_recorded_at");
        entry.HasIndex(e => new { e.Subject, e.Seq }).HasDatabaseName("ix_audit_entries_subject_seq");
        entry.HasIndex(e => new { e.ActorId, e.Seq }).HasDatabaseName("ix_audit_entries_actor_id_seq");
        entry.HasIndex(e => new { e.Action, e.Seq }).HasDatabaseName("ix_audit_entries_action_seq");
        entry.HasIndex(e => new { e.Recipient, e.Seq }).HasDatabaseName("ix_audit_entries_recipient_seq");
        entry.HasIndex(e => new { e.Consent, e.Seq }).HasDatabaseName("ix_audit_entries_consent_seq");
    }
}

internal sealed class AuditHeadConfiguration : IEntityTypeConfiguration<AuditHead>
{
    public void Configure(EntityTypeBuilder<AuditHead> head)
    {
        head.ToTable("audit_head");
        head.HasKey(h => h.Id);
        head.Property(h => h.Id).ValueGeneratedNever();
    }
}

internal sealed class AuditTreeNodeConfiguration : IEntityTypeConfiguration<AuditTreeNode>
{
    public void Configure(EntityTypeBuilder<AuditTreeNode> node)
    {
        node.ToTable("audit_tree_nodes");
        node.HasKey(n => new { n.Level, n.Position });
    }
}

internal sealed class AuditCheckpointConfiguration : IEntityTypeConfiguration<AuditCheckpoint>
{
    public void Configure(EntityTypeBuilder<AuditCheckpoint> checkpoint)
    {
        checkpoint.ToTable("audit_checkpoints");
        checkpoint.HasKey(c => c.Id);
        checkpoint.Property(c => c.KeyId).HasMaxLength(64);
        checkpoint.HasIndex(c => c.TreeSize).HasDatabaseName("ix_audit_checkpoints_tree_size");
    }
}

internal sealed class AuditSigningKeyConfiguration : IEntityTypeConfiguration<AuditSigningKey>
{
    public void Configure(EntityTypeBuilder<AuditSigningKey> key)
    {
        key.ToTable("audit_signing_keys");
        key.HasKey(k => k.KeyId);
        key.Property(k => k.KeyId).HasMaxLength(64);
    }
}
