using DataTrust.Consent;

namespace DataTrust.Web.Pages.Admin.Requests;

/// <summary><c>/admin/requests</c>: the board's queue of submitted data requests (or those in another state).</summary>
internal sealed class IndexModel(DataRequests requests) : OperatorPage
{
    public static IReadOnlyList<string> States { get; } = ["submitted", "approved", "rejected", "withdrawn", "draft"];

    public string State { get; private set; } = "submitted";

    public IReadOnlyList<DataRequestView> Requests { get; private set; } = [];

    public async Task OnGetAsync(string? state, CancellationToken cancellationToken)
    {
        State = state is not null && States.Contains(state, StringComparer.Ordinal) ? state : "submitted";
        if (state is not null && state != State)
        {
            Refused(StatusCodes.Status400BadRequest, Localization.Text.T("状態の指定が正しくありません。審査待ちを表示しています。", "Not a state; showing those waiting for review."));
        }

        Requests = await requests.ListAsync(State, cancellationToken);
    }
}
