using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts;

/// <summary>A person who signs in: a resident, an auditor or an operator (see <see cref="Roles"/>).</summary>
public sealed class UserAccount : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";

    /// <summary>BCP 47 tag of the language the person reads: <c>ja</c> (default) or <c>en</c>.</summary>
    public string PreferredLocale { get; set; } = "ja";

    public DateTimeOffset CreatedAt { get; set; }
}
