using DataTrust.Accounts;
using DataTrust.Audit.Events;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Audit;

/// <summary>The auditor console's pages: auditors only, acting under their own (pseudonymised) account.</summary>
[Authorize(Policy = AccessPolicies.Auditor)]
internal abstract class AuditPageModel : PageModel
{
    /// <summary>The auditor as the audit log records them; the sign-in always carries the account id.</summary>
    protected AuditActor Actor => AuditActor.FromUser(User, AuditActorType.Auditor)
        ?? throw new InvalidOperationException("An auditor's session names no account.");

    /// <summary>Times are shown in UTC, as the log and the bundles record them.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Time(string rfc3339) =>
        DateTimeOffset.TryParse(rfc3339, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? Time(t) : rfc3339;

    /// <summary>A long hash or pseudonym, shortened for a table cell; the full value is in the entry's detail.</summary>
    public static string Short(string? hex) => hex is null ? "" : hex.Length > 12 ? hex[..12] + "…" : hex;
}
