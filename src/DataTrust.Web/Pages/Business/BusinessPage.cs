using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Business;

/// <summary>
/// The business console's pages: staff of one data recipient, who see and change only that recipient's
/// data. The recipient comes from the staff membership on every request, never from the URL.
/// </summary>
[Authorize(Policy = AccessPolicies.Business)]
internal abstract class BusinessPage : PageModel
{
    /// <summary>The recipient's client id, set before any handler runs.</summary>
    public string ClientId { get; private set; } = "";

    public string OrganisationName { get; private set; } = "";

    public List<FieldError> Errors { get; } = [];

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var db = HttpContext.RequestServices.GetRequiredService<DataTrustDbContext>();
        var userId = Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;
        var membership = await (from staff in db.Set<BusinessStaff>().AsNoTracking()
                                join recipient in db.Set<Recipient>().AsNoTracking() on staff.ClientId equals recipient.ClientId
                                where staff.UserId == userId
                                select new { recipient.ClientId, recipient.OrganisationName }).SingleOrDefaultAsync(HttpContext.RequestAborted);
        if (membership is null)
        {
            context!.Result = Forbid();
            return;
        }

        (ClientId, OrganisationName) = (membership.ClientId, membership.OrganisationName);
        await next();
    }

    /// <summary>A refused change: shown at the top of the page, answered 400/404/409 as the API would; nothing was changed.</summary>
    protected void Refused(ConsentException e, string? fieldId = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        Errors.Add(new(fieldId, e.Message));
        Response.StatusCode = e.Status;
    }

    public static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "";

    public static string StateLabel(string state) => state switch
    {
        "draft" => Localization.Text.T("下書き", "Draft"),
        "submitted" => Localization.Text.T("審査中", "Under review"),
        "approved" => Localization.Text.T("承認済み", "Approved"),
        "rejected" => Localization.Text.T("却下", "Rejected"),
        "withdrawn" => Localization.Text.T("取り下げ", "Withdrawn"),
        "pending" => Localization.Text.T("審査待ち", "Pending review"),
        "suspended" => Localization.Text.T("停止中", "Suspended"),
        _ => state,
    };
}
