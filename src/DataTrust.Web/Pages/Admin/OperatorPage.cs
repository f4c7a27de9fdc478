using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Admin;

/// <summary>The operator console's pages: operators (and the data-ethics board) only, acting under their own account.</summary>
[Authorize(Policy = AccessPolicies.Operator)]
internal abstract class OperatorPage : PageModel
{
    public List<FieldError> Errors { get; } = [];

    protected AuditActor Actor => AuditActor.FromUser(User, AuditActorType.Operator)
        ?? throw new InvalidOperationException("An operator's session names no account.");

    /// <summary>A refused change: shown at the top of the page, answered with the use case's status; nothing was changed.</summary>
    protected void Refused(ConsentException e, string? fieldId = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        Errors.Add(new(fieldId, e.Message));
        Response.StatusCode = e.Status;
    }

    protected void Refused(int status, string message, string? fieldId = null)
    {
        Errors.Add(new(fieldId, message));
        Response.StatusCode = status;
    }

    /// <summary>Reasons typed one per line.</summary>
    protected static List<string> Lines(string? text) =>
        [.. (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
}
