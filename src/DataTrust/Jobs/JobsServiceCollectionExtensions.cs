using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Jobs;

/// <summary>Registration of the job queue, the worker, job handlers and recurring schedules.</summary>
internal static class JobsServiceCollectionExtensions
{
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobsOptions>()
            .Bind(configuration.GetSection(JobsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobLeases>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<RecurringJobScheduler>();
        services.AddTransient<JobWorker>();
        services.AddHostedService<JobWorkerService>();
        services.AddJobHandler<PurgeFinishedJobs>(PurgeFinishedJobs.Kind);
        services.AddRecurringJob(PurgeFinishedJobs.Schedule, PurgeFinishedJobs.Kind, TimeSpan.FromHours(1));
        return services;
    }

    /// <summary>
    /// Runs jobs of <paramref name="kind"/> with <typeparamref name="THandler"/> (scoped: one instance per run).
    /// Read the contract on <see cref="IJobHandler"/>: handlers must tolerate running more than once.
    /// </summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string kind)
        where THandler : class, IJobHandler
    {
        JobKinds.Validate(kind);
        if (services.Any(d => d.ServiceType == typeof(IJobHandler) && d.IsKeyedService && Equals(d.ServiceKey, kind)))
        {
            throw new InvalidOperationException($"A handler for job kind '{kind}' is already registered.");
        }

        return services.AddKeyedScoped<IJobHandler, THandler>(kind);
    }

    /// <summary>
    /// Enqueues a job of <paramref name="kind"/> every <paramref name="interval"/>, once per occurrence
    /// however many workers run. The first occurrence is due one interval after a worker first writes the schedule.
    /// </summary>
    public static IServiceCollection AddRecurringJob(this IServiceCollection services, string name, string kind, TimeSpan interval, object? payload = null)
    {
        JobKinds.Validate(name, "schedule name", RecurringJob.NameMaxLength);
        JobKinds.Validate(kind);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "A recurring job needs a positive interval.");
        }

        if (services.Any(d => d.ServiceType == typeof(RecurringJobDefinition) && d.ImplementationInstance is RecurringJobDefinition { } existing
            && string.Equals(existing.Name, name, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"A recurring job named '{name}' is already registered.");
        }

        return services.AddSingleton(new RecurringJobDefinition(name, kind, interval, JobQueue.SerializePayload(payload)));
    }
}

/// <summary>Job kinds and schedule names: lower-case ASCII letters, digits, '.', '_' and '-', like <c>audit.checkpoint</c>.</summary>
internal static partial class JobKinds
{
    public static bool IsValid(string value, int maxLength = Job.KindMaxLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength && Pattern().IsMatch(value);

    public static void Validate(string value, string what = "job kind", int maxLength = Job.KindMaxLength)
    {
        if (!IsValid(value, maxLength))
        {
            throw new ArgumentException(
                $"The {what} '{value}' is not valid: use 1 to {maxLength} lower-case letters, digits, '.', '_' or '-', starting with a letter.", nameof(value));
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9._-]*$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
