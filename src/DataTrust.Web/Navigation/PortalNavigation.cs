using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Web.Localization;

namespace DataTrust.Web.Navigation;

/// <summary>A link in the navigation, in both languages.</summary>
internal sealed record NavLink(string Path, string Japanese, string English)
{
    public string Label => Text.T(Japanese, English);
}

/// <summary>An area of the portal for one role: its start page, and the links of its own navigation bar.</summary>
internal sealed record PortalArea(string Role, NavLink Start, IReadOnlyList<NavLink> Links)
{
    /// <summary>Whether the path is this area's start page, under it, or one of its links.</summary>
    public bool Contains(PathString path) =>
        path.StartsWithSegments(Start.Path, StringComparison.OrdinalIgnoreCase)
        || Links.Any(l => path.StartsWithSegments(l.Path, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The portal's areas, one per role. The layout shows the areas the signed-in person's roles open, and
/// the current area's own links under the header. A new page joins its area's bar by adding its link here.
/// </summary>
internal static class PortalNavigation
{
    public static IReadOnlyList<PortalArea> Areas { get; } =
    [
        new(Roles.Resident, new("/resident", "マイページ", "My page"),
        [
            new("/resident", "マイページ", "My page"),
            new("/resident/inbox", "受信箱", "Inbox"),
            new("/resident/consents", "同意", "Consents"),
            new("/resident/instructions", "代理の指示", "Standing instructions"),
            new("/resident/history", "提供履歴", "Provision history"),
        ]),
        new(Roles.Business, new("/business", "事業者", "Business"),
        [
            new("/business", "概要", "Overview"),
            new("/business/requests", "データ利用の依頼", "Data requests"),
            new("/business/consents", "同意と提供", "Consents and releases"),
            new("/business/webhook", "Webhook", "Webhook"),
            new("/business/credentials", "認証情報", "Credentials"),
        ]),
        new(Roles.Auditor, new("/audit", "監査", "Audit"),
        [
            new("/audit", "検索", "Search"),
            new("/audit/verify", "整合性の検証", "Verify integrity"),
            new("/audit/checkpoints", "チェックポイント", "Checkpoints"),
            new("/audit/statistics", "透明性統計", "Statistics"),
            new("/audit/export", "エクスポート", "Export"),
        ]),
        new(Roles.Operator, new("/admin", "運用管理", "Operations"),
        [
            new("/admin", "概要", "Overview"),
            new("/admin/recipients", "提供先の審査", "Recipient review"),
            new("/admin/requests", "依頼の審査", "Request review"),
            new("/admin/jobs", "ジョブ", "Jobs"),
            new("/admin/clients", "クライアント", "Clients"),
            new("/admin/keys", "鍵", "Keys"),
            new("/admin/health", "状態", "Health"),
        ]),
    ];

    /// <summary>The areas this person may enter, in the order above.</summary>
    public static IEnumerable<PortalArea> For(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? Areas.Where(a => user.IsInRole(a.Role)) : [];

    /// <summary>The area the path belongs to, among those this person may enter.</summary>
    public static PortalArea? Current(ClaimsPrincipal user, PathString path) => For(user).FirstOrDefault(a => a.Contains(path));

    /// <summary>Whether a link is the page being shown (exact path), for <c>aria-current="page"</c>.</summary>
    public static bool IsCurrent(NavLink link, PathString path) =>
        string.Equals(path.Value?.TrimEnd('/'), link.Path.TrimEnd('/'), StringComparison.OrdinalIgnoreCase) || (path.Value is "/" && link.Path == "/");
}

/// <summary>A form error for <c>_ErrorSummary</c>: the message, and the id of the field it concerns (linked), if any.</summary>
internal sealed record FieldError(string? FieldId, string Message);
