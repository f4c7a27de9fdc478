using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DataTrust.Persistence;

/// <summary>
/// An EF compiled query (<see cref="EF.CompileAsyncQuery{TContext, TParam1, TResult}(System.Linq.Expressions.Expression{Func{TContext, TParam1, TResult}})"/>)
/// per model: a compiled query refuses to run against another model than its first, and one process may
/// hold several (SQLite and PostgreSQL hosts side by side in the tests).
/// </summary>
internal sealed class PerModel<TQuery>
    where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _queries = [];
    private readonly ConditionalWeakTable<IModel, TQuery>.CreateValueCallback _compile;

    public PerModel(Func<TQuery> compile) => _compile = _ => compile();

    public TQuery For(DbContext db) => _queries.GetValue(db.Model, _compile);
}
