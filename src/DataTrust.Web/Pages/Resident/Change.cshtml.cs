using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using static DataTrust.Web.Localization.Text;

namespace DataTrust.Web.Pages.Resident;

/// <summary>
/// <c>/resident/consents/{id}/{pause|resume|revoke}</c>: the confirmation step — what will happen, in
/// plain words — then the change through the ledger.
/// </summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class ChangeModel(ConsentLedger ledger, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public ConsentView Consent { get; private set; } = null!;

    public ConsentText Words { get; private set; } = null!;

    [BindProperty(SupportsGet = true)]
    public string Change { get; set; } = "";

    public string Heading => Change switch
    {
        "pause" => T("同意を一時停止する", "Pause this consent"),
        "resume" => T("同意を再開する", "Resume this consent"),
        _ => T("同意を取り消す", "Withdraw this consent"),
    };

    public IReadOnlyList<string> Consequences => Change switch
    {
        "pause" =>
        [
            T("一時停止した時点から、この同意によるデータの提供は止まります。", "From the moment you pause, no data is shared under this consent."),
            T("提供先のアクセストークンは使えなくなり、提供先に通知されます。", "The recipient's access tokens stop working, and the recipient is notified."),
            T("終了日は変わりません。いつでも再開できます。", "The end date does not change. You can resume at any time."),
        ],
        "resume" =>
        [
            T("再開すると、同じ条件でデータの提供が再び可能になります。", "When you resume, data may be shared again under the same terms."),
            T("提供先に通知されます。", "The recipient is notified."),
        ],
        _ =>
        [
            T("取り消した時点から、この同意によるデータの提供は二度と行われません。", "From the moment you withdraw, no data is ever shared under this consent again."),
            T("提供先のアクセストークンは使えなくなり、提供先には受け取ったデータを削除する義務が生じます。", "The recipient's access tokens stop working, and it must delete the data it received."),
            T("元に戻すことはできません。必要になったら、もう一度依頼に同意してください。", "This cannot be undone. If you change your mind, agree to the request again."),
        ],
    };

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            _ = Change switch
            {
                "pause" => await ledger.PauseAsync(ResidentId, id, cancellationToken),
                "resume" => await ledger.ResumeAsync(ResidentId, id, cancellationToken),
                _ => await ledger.RevokeAsync(ResidentId, id, cancellationToken),
            };
            TempData["Done"] = Change switch
            {
                "pause" => T("一時停止しました。", "Paused."),
                "resume" => T("再開しました。", "Resumed."),
                _ => T("取り消しました。", "Withdrawn."),
            };
            return Redirect($"/resident/consents/{id}");
        }
        catch (ConsentException e)
        {
            Refused(e);
        }

        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            Consent = await ledger.GetAsync(ResidentId, id, cancellationToken);
        }
        catch (ConsentException)
        {
            return false;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Words = await ConsentText.LoadAsync(db, policy, cancellationToken);
        return true;
    }
}
