using DataTrust.Consent;

namespace DataTrust.Web.Pages.Business.Requests;

/// <summary><c>/business/requests</c>: this recipient's data requests, oldest first.</summary>
internal sealed class IndexModel(DataRequests requests) : BusinessPage
{
    public IReadOnlyList<DataRequestView> Requests { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => Requests = await requests.ListOwnAsync(ClientId, cancellationToken);
}
