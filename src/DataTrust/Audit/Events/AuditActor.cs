using System.Security.Claims;

namespace DataTrust.Audit.Events;

/// <summary>Who caused an effect. People are written to the log under their pseudonym, never their account id.</summary>
internal sealed record AuditActor
{
    private AuditActor(AuditActorType type, string id)
    {
        Type = type;
        Id = id;
    }

    public AuditActorType Type { get; }

    /// <summary>For a person, the account id (pseudonymised when written); otherwise the client id or component name.</summary>
    public string Id { get; }

    public bool IsPerson => Type is AuditActorType.Resident or AuditActorType.Auditor or AuditActorType.Operator;

    /// <summary>The person's account id, when the actor is a person.</summary>
    public Guid? UserId => IsPerson && Guid.TryParse(Id, out var id) ? id : null;

    public static AuditActor Anonymous { get; } = new(AuditActorType.Anonymous, "anonymous");

    public static AuditActor Resident(Guid userId) => new(AuditActorType.Resident, userId.ToString("D"));

    public static AuditActor Auditor(Guid userId) => new(AuditActorType.Auditor, userId.ToString("D"));

    public static AuditActor Operator(Guid userId) => new(AuditActorType.Operator, userId.ToString("D"));

    /// <summary>An OAuth client (business, data provider, City OS service), by its client_id.</summary>
    public static AuditActor Client(string clientId) => new(AuditActorType.Client, clientId);

    /// <summary>The service itself: a job, the CLI, start-up. Name the component, e.g. <c>jobs/audit-checkpoint</c>.</summary>
    public static AuditActor System(string component) => new(AuditActorType.System, component);

    /// <summary>The signed-in person acting in the given role; null when the principal carries no account id.</summary>
    public static AuditActor? FromUser(ClaimsPrincipal user, AuditActorType role)
    {
        if (user.FindFirst(ClaimTypes.NameIdentifier)?.Value is not { } value || !Guid.TryParse(value, out var id))
        {
            return null;
        }

        return role switch
        {
            AuditActorType.Resident => Resident(id),
            AuditActorType.Auditor => Auditor(id),
            AuditActorType.Operator => Operator(id),
            _ => throw new ArgumentOutOfRangeException(nameof(role), "Only people sign in."),
        };
    }

    public override string ToString() => AuditActorTypes.Name(Type);
}

internal enum AuditActorType
{
    Anonymous,
    Resident,
    Auditor,
    Operator,
    Client,
    System,
}

internal static class AuditActorTypes
{
    public static string Name(AuditActorType type) => type switch
    {
        AuditActorType.Anonymous => "anonymous",
        AuditActorType.Resident => "resident",
        AuditActorType.Auditor => "auditor",
        AuditActorType.Operator => "operator",
        AuditActorType.Client => "client",
        AuditActorType.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static IReadOnlyList<string> All { get; } = Enum.GetValues<AuditActorType>().Select(Name).ToArray();
}
