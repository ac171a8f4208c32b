import { NavLink } from "react-router-dom";

/** The pages of one group, as a second row of links. */
export function GroupNav({ group }: { group: string }) {
  const base = `/groups/${encodeURIComponent(group)}`;
  return (
    <nav aria-label={`Group ${group}`} className="subnav">
      <NavLink to={base} end>
        Pipelines and members
      </NavLink>
      <NavLink to={`${base}/images`}>Images</NavLink>
      <NavLink to={`${base}/secrets`}>Secrets</NavLink>
      <NavLink to={`${base}/systems`}>Systems</NavLink>
      <NavLink to={`${base}/archives`}>Archives</NavLink>
    </nav>
  );
}
