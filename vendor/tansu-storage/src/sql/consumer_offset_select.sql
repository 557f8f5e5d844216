-- -*- mode: sql; sql-product: postgres; -*-
-- Copyright ⓒ 2024-2025 Peter Morgan <peter.james.morgan@gmail.com>
--
-- Licensed under the Apache License, Version 2.0 (the "License");
-- you may not use this file except in compliance with the License.
-- You may obtain a copy of the License at
--
-- http://www.apache.org/licenses/LICENSE-2.0
--
-- Unless required by applicable law or agreed to in writing, software
-- distributed under the License is distributed on an "AS IS" BASIS,
-- WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
-- See the License for the specific language governing permissions and
-- limitations under the License.

-- prepare consumer_offset_select(text, text, text, integer) as
select co.committed_offset

from cluster c
join consumer_group cg on cg.cluster = c.id
join topic t on t.cluster = c.id
join topition tp on tp.topic = t.id
join consumer_offset co on co.consumer_group = cg.id and co.topition = tp.id

where c.name = $1
and cg.name = $2
and t.name = $3
and tp.partition = $4;
