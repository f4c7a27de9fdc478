using System.Security.Claims;
using DataTrust.Consent;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static DataTrust.Web.Localization.Text;

namespace DataTrust.Web.Pages.Resident;

/// <summary>What the resident's pages share: who is signed in, policy text in the page's language, and refused changes shown as an error summary.</summary>
internal abstract class ResidentPage : PageModel
{
    public List<FieldError> Errors { get; } = [];

    protected Guid ResidentId => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);

    public static string Local(PolicyText text) => T(text.Ja, text.En);

    /// <summary>The ledger's refusal in the page's language; nothing was changed.</summary>
    public static string Explain(ConsentException e) => e.Code switch
    {
        "narrowing_beyond_request" => T("依頼にない種類や、依頼より長い期間には同意できません。何も変更していません。", "You can only agree to less than the request asks for, never more. Nothing was changed."),
        "narrowing_empty" => T("同意するデータの種類を1つ以上選ぶか、お断りしてください。", "Choose at least one kind of data, or refuse the request."),
        "duration_invalid" => T("期間の選び方が正しくありません。", "The period you chose is not valid."),
        "invalid_transition" => T("この同意は今の状態では変更できません。何も変更していません。", "This consent cannot be changed that way in its current state. Nothing was changed."),
        "consent_expired" => T("この同意は期間が終わっているため再開できません。", "This consent has ended and cannot be resumed."),
        "consent_exists" => T("この依頼にはすでに同意しています。", "You already have a consent for this request."),
        "recipient_not_approved" => T("この提供先は現在、審査に合格した状態ではないため、同意できません。", "This recipient is not approved at the moment; you cannot consent to it now."),
        "not_found" => T("見つかりません。", "Not found."),
        "kind_invalid" => T("ルールの種類（許可／共有しない）を選んでください。", "Choose the kind of rule (allow / never)."),
        "category_unknown" => T("データの種類を1つ以上選んでください。", "Choose at least one kind of data."),
        "purpose_unknown" => T("許可するルールには、利用目的を1つ以上選んでください。", "An allow rule needs at least one purpose."),
        "recipient_kind_invalid" => T("提供先の種類が正しくありません。", "The kind of recipient is not valid."),
        "sensitive_not_automatic" => T("要配慮個人情報は自動では共有できません。依頼ごとにご自身で決めてください。", "Special-care data is never shared automatically: decide each such request yourself."),
        "never_rule_invalid" => T("「共有しない」ルールには、データの種類だけを選びます。", "A never rule names only kinds of data."),
        _ => T("この操作はできませんでした。何も変更していません。", "This could not be done. Nothing was changed."),
    };

    /// <summary>Shows the refusal at the top of the page, with the status code a client's mistake deserves.</summary>
    protected void Refused(ConsentException e, string? fieldId = null)
    {
        Errors.Add(new FieldError(fieldId, Explain(e)));
        Response.StatusCode = e.Status;
        ViewData["Errors"] = true;
    }
}
