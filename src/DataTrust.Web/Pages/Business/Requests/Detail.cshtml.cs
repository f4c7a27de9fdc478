using DataTrust.Consent;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Business.Requests;

/// <summary><c>/business/requests/{id}</c>: one of this recipient's requests, the board's decisions with reasons; submit or withdraw it.</summary>
internal sealed class DetailModel(DataRequests requests) : BusinessPage
{
    public DataRequestView Item { get; private set; } = null!;

    public string? Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, string? done, CancellationToken cancellationToken)
    {
        Done = done;
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    public Task<IActionResult> OnPostSubmitAsync(Guid id, CancellationToken cancellationToken) =>
        ChangeAsync(id, "submitted", () => requests.SubmitAsync(ClientId, id, cancellationToken), cancellationToken);

    public Task<IActionResult> OnPostWithdrawAsync(Guid id, CancellationToken cancellationToken) =>
        ChangeAsync(id, "withdrawn", () => requests.WithdrawAsync(ClientId, id, cancellationToken), cancellationToken);

    private async Task<IActionResult> ChangeAsync(Guid id, string done, Func<Task<DataRequestView>> change, CancellationToken cancellationToken)
    {
        try
        {
            await change();
            return Redirect($"/business/requests/{id}?done={done}");
        }
        catch (ConsentException e)
        {
            if (!await LoadAsync(id, cancellationToken))
            {
                return NotFound();
            }

            Refused(e);
            return Page();
        }
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            Item = await requests.GetOwnAsync(ClientId, id, cancellationToken);
            return true;
        }
        catch (ConsentException)
        {
            return false;
        }
    }
}
