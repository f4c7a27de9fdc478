using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataTrust.Web.Pages.Admin.Health;

/// <summary><c>/admin/health</c>: the service's health checks (as <c>/health/ready</c> runs them), with their descriptions.</summary>
internal sealed class IndexModel(HealthCheckService health) : OperatorPage
{
    public HealthReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken) => Report = await health.CheckHealthAsync(cancellationToken);
}
