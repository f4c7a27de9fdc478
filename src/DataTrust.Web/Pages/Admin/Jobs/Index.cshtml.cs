using DataTrust.Audit;
using DataTrust.Jobs;
using DataTrust.Jobs.Admin;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Admin.Jobs;

/// <summary><c>/admin/jobs</c>: job counts by state, the newest jobs (filtered by state), and retry of failed or dead-lettered ones.</summary>
internal sealed class IndexModel(DataTrustDbContext db, IAuditLog audit, TimeProvider clock) : OperatorPage
{
    public string? State { get; private set; }

    public CountJobs.JobCounts Counts { get; private set; } = null!;

    public ListJobs.JobPage Jobs { get; private set; } = null!;

    public string? Retried { get; private set; }

    public static bool Retryable(string state) => JobStates.Retryable.Any(s => s.ToText() == state);

    public async Task<IActionResult> OnGetAsync(string? state, int? page, string? retried, CancellationToken cancellationToken)
    {
        Retried = retried;
        await LoadAsync(state, page, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRetryAsync(string? id, string? state, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            Refused(StatusCodes.Status400BadRequest, Localization.Text.T("ジョブIDが正しくありません。何も変更していません。", "That is not a job id. Nothing was changed."));
        }
        else
        {
            var result = await RetryJob.RunAsync(db, audit, Actor, jobId, clock.GetUtcNow(), cancellationToken);
            switch (result.Outcome)
            {
                case RetryJob.Outcome.Retried:
                    return Redirect("/admin/jobs?retried=" + jobId.ToString("D") + (state is null ? "" : "&state=" + Uri.EscapeDataString(state)));
                case RetryJob.Outcome.NotFound:
                    Refused(StatusCodes.Status404NotFound, Localization.Text.T("そのジョブはありません。何も変更していません。", "There is no such job. Nothing was changed."));
                    break;
                default:
                    Refused(StatusCodes.Status409Conflict, Localization.Text.T(
                        $"このジョブは {result.State!.Value.ToText()} です。再試行できるのは失敗または停止したジョブだけです。何も変更していません。",
                        $"This job is {result.State!.Value.ToText()}; only failed or dead-lettered jobs can be retried. Nothing was changed."));
                    break;
            }
        }

        await LoadAsync(state, null, cancellationToken);
        return Page();
    }

    private async Task LoadAsync(string? state, int? page, CancellationToken cancellationToken)
    {
        var filter = ListJobs.Parse(string.IsNullOrEmpty(state) ? null : state, null, page, null);
        if (filter is null)
        {
            Refused(StatusCodes.Status400BadRequest, Localization.Text.T("絞り込みの指定が正しくありません。すべてを表示しています。", "That filter is not valid; showing all jobs."));
            filter = ListJobs.Parse(null, null, null, null)!;
        }

        State = filter.State?.ToText();
        Counts = await CountJobs.RunAsync(db, cancellationToken);
        Jobs = await ListJobs.RunAsync(db, filter, cancellationToken);
    }
}
