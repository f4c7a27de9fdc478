using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>A secret the provider itself needs (the pairwise subject key), protected by Data Protection.</summary>
internal sealed class ProviderSecret
{
    public string Name { get; set; } = "";

    public string ProtectedValue { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ProviderSecretConfiguration : IEntityTypeConfiguration<ProviderSecret>
{
    public void Configure(EntityTypeBuilder<ProviderSecret> secret)
    {
        secret.ToTable("provider_secrets");
        secret.HasKey(s => s.Name);
        secret.Property(s => s.Name).HasMaxLength(64);
    }
}
