using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Accounts;

/// <summary>Plain table names for ASP.NET Core Identity's entities.</summary>
internal static class IdentityTables
{
    public static void Rename(ModelBuilder builder)
    {
        builder.Entity<UserAccount>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.DisplayName).HasMaxLength(200);
            user.Property(u => u.PreferredLocale).HasMaxLength(16);
        });
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");
        builder.Entity<IdentityUserPasskey<Guid>>().ToTable("user_passkeys");
    }
}
