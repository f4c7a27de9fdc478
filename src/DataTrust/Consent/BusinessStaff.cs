using DataTrust.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// A staff account of a data recipient: the person signs in to the business console (role
/// <see cref="Roles.Business"/>) and sees and changes only this recipient's data. One recipient per account.
/// </summary>
internal sealed class BusinessStaff
{
    public Guid UserId { get; set; }

    /// <summary>The recipient's OAuth <c>client_id</c>.</summary>
    public string ClientId { get; set; } = "";

    public DateTimeOffset AddedAt { get; set; }
}

internal sealed class BusinessStaffConfiguration : IEntityTypeConfiguration<BusinessStaff>
{
    public void Configure(EntityTypeBuilder<BusinessStaff> staff)
    {
        staff.ToTable("business_staff");
        staff.HasKey(s => s.UserId);
        staff.HasOne<UserAccount>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        staff.Property(s => s.ClientId).HasMaxLength(100);
        staff.HasOne<Recipient>().WithMany().HasForeignKey(s => s.ClientId).OnDelete(DeleteBehavior.Cascade);
    }
}
