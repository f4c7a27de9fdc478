using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Clients;

internal sealed class ClientConfiguration : IEntityTypeConfiguration<Client>
{
    public void Configure(EntityTypeBuilder<Client> client)
    {
        client.ToTable("clients");
        client.HasKey(c => c.Id);
        client.HasIndex(c => c.ClientId).IsUnique();
        client.Ignore(c => c.ReadVersion);
        client.Property(c => c.ClientId).HasMaxLength(100);
        client.Property(c => c.DisplayName).HasMaxLength(200);
        client.Property(c => c.Kind).HasConversion<string>().HasMaxLength(32);
        client.Property(c => c.TokenEndpointAuthMethod).HasMaxLength(32);
        client.Property(c => c.SecretHash).HasMaxLength(200);
        client.Property(c => c.RedirectUris).HasSpaceSeparatedConversion();
        client.Property(c => c.PostLogoutRedirectUris).HasSpaceSeparatedConversion();
        client.Property(c => c.GrantTypes).HasSpaceSeparatedConversion();
        client.Property(c => c.Scopes).HasSpaceSeparatedConversion();
        client.Property(c => c.IdTokenSignedResponseAlg).HasMaxLength(8);
        client.Property(c => c.SectorIdentifier).HasMaxLength(200);
    }
}
