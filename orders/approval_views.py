"""The approval rules page of a member, where its approvers set the second-approval threshold."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.auth.roles import Role, roles_required
from app.errors import DomainError
from app.extensions import db

from . import approval

bp = Blueprint("approval", __name__, url_prefix="/approval-rules")


class ApprovalRuleForm(FlaskForm):
    second_approval_above = StringField(
        _l("Second approval above (amount including VAT)"), validators=[Optional()]
    )
    reminder_days = IntegerField(
        _l("Remind approvers after (days)"),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(min=1, max=approval.MAX_REMINDER_DAYS, message=_l("Enter a number of days between 1 and 60.")),
        ],
    )
    submit = SubmitField(_l("Save the rules"))


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.APPROVER)
def edit_rules():
    member = current_user.member
    rule = approval.rule_for(member.id)
    form = ApprovalRuleForm()
    if not form.is_submitted():
        form.second_approval_above.data = (
            format_decimal(rule.second_approval_above, format="#,##0.00", locale="fr")
            if rule.second_approval_above is not None
            else ""
        )
        form.reminder_days.data = rule.reminder_days
    if form.validate_on_submit():
        try:
            threshold = approval.parse_threshold(form.second_approval_above.data)
            approval.save_rule(
                member, current_user, second_approval_above=threshold, reminder_days=form.reminder_days.data
            )
        except DomainError as error:
            db.session.rollback()
            if error.field in form:
                form[error.field].errors.append(str(error))
            else:
                flash(str(error), "error")
            return render_template("orders/approval_rules.html", form=form, rule=rule, member=member), 422
        db.session.commit()
        flash(_("Approval rules saved."), "success")
        return redirect(url_for("approval.edit_rules"))
    status = 422 if form.is_submitted() else 200
    return render_template("orders/approval_rules.html", form=form, rule=rule, member=member), status
