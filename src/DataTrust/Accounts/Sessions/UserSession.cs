using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Accounts.Sessions;

/// <summary>
/// One signed-in browser. The session cookie names its row; deleting the row ends the session on
/// every service instance at the next request (sign out elsewhere, sign out everywhere).
/// </summary>
public sealed class UserSession
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    /// <summary>A short description of the browser (from its User-Agent), for the person to recognise it.</summary>
    public string Device { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }
}

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> session)
    {
        session.ToTable("user_sessions");
        session.HasKey(s => s.Id);
        session.Property(s => s.Device).HasMaxLength(200);
        session.HasIndex(s => s.UserId);
        session.HasOne<UserAccount>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
